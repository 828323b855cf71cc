import path from "node:path";
import { CLIENT_CHUNK_SIZE_BYTES } from "../../src/download/client-transport";
import { cpuMsOf, runLoad } from "../lib/children";
import { serviceEnv, startService, withChildren, type BenchContext } from "../lib/context";
import { atLeast, type Figure } from "../lib/figures";
import { range, writeFiles } from "../lib/fixtures";
import { median, MiB } from "../lib/stats";
import type { SmallDownloadsResult } from "../load/tasks";

const FIRST_FILE_ID = 60_000;

/** Whole small downloads back to back from C concurrent clients (own channel each), delay off. */
export async function p6SmallDownloads(ctx: BenchContext): Promise<{ figures: Figure[]; raw: unknown }> {
  const { files, bytes, concurrency, durationMs, runs } = ctx.profile.p6;
  const dataDir = path.join(ctx.workDir, "p6");
  const fileIds = range(FIRST_FILE_ID, files);
  await writeFiles(dataDir, fileIds, bytes);
  const results = await withChildren(async (track) => {
    const service = track(await startService(serviceEnv(dataDir)));
    const address = `127.0.0.1:${service.port}`;
    await runLoad({ kind: "prepare", address, fileIds });
    const out: Array<SmallDownloadsResult & { serverCpuMsPerDownload: number }> = [];
    for (let run = 0; run < runs; run++) {
      const before = cpuMsOf(service.pid);
      const result = await runLoad<SmallDownloadsResult>({
        kind: "small-downloads",
        address,
        // As our clients ask (client-transport); a 1 MiB download is then one chunk message.
        chunkSizeBytes: CLIENT_CHUNK_SIZE_BYTES,
        fileIds,
        concurrency,
        channels: concurrency,
        durationMs,
        expectBytes: bytes,
      });
      ctx.log(
        `P6 run ${run + 1}/${runs}: ${((result.completed / result.ms) * 1000).toFixed(0)}/s, ${result.failed} failed`,
      );
      out.push({ ...result, serverCpuMsPerDownload: (cpuMsOf(service.pid) - before) / result.completed });
    }
    return out;
  });
  const perSecond = median(results.map((r) => (r.completed / r.ms) * 1000));
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const label = bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / 1024} KiB`;
  const figures: Figure[] = [
    {
      id: "P6",
      name: `completed ${label} downloads/s, ${concurrency} clients, delay off, 1 MiB chunks`,
      value: perSecond,
      unit: "/s",
      target: "≥ 500",
      met: atLeast(perSecond, 500),
      kind: "timing",
      detail: `median of ${runs} runs of ${durationMs / 1000} s; ${((perSecond * bytes) / MiB).toFixed(0)} MiB/s`,
    },
    {
      id: "P6",
      name: "server CPU per download",
      value: median(results.map((r) => r.serverCpuMsPerDownload)),
      unit: "ms",
      target: "",
      met: undefined,
      kind: "info",
    },
    {
      id: "P6",
      name: "failed small downloads",
      value: failed,
      unit: "",
      target: "= 0",
      met: failed === 0 && results.every((r) => r.completed > 0),
      kind: "correctness",
    },
  ];
  return { figures, raw: results };
}
