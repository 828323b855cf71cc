import path from "node:path";
import { CLIENT_CHUNK_SIZE_BYTES } from "../../src/download/client-transport";
import { cpuMsOf, runLoad, startChild, type Child } from "../lib/children";
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
  type Run = SmallDownloadsResult & { serverCpuMsPerDownload: number };
  const load = async (server: Child): Promise<Run> => {
    const before = cpuMsOf(server.pid);
    const result = await runLoad<SmallDownloadsResult>({
      kind: "small-downloads",
      address: `127.0.0.1:${server.port}`,
      // As our clients ask (client-transport); a 1 MiB download is then one chunk message.
      chunkSizeBytes: CLIENT_CHUNK_SIZE_BYTES,
      fileIds,
      concurrency,
      channels: concurrency,
      durationMs,
      expectBytes: bytes,
    });
    return { ...result, serverCpuMsPerDownload: (cpuMsOf(server.pid) - before) / result.completed };
  };
  // The service and a bare grpc-js server (the floor) run alternately, so each pair shares the machine's load.
  const { results, bare } = await withChildren(async (track) => {
    const service = track(await startService(serviceEnv(dataDir)));
    await runLoad({ kind: "prepare", address: `127.0.0.1:${service.port}`, fileIds });
    const floor = track(await startChild("bare-grpc-server.js", { args: [dataDir, "serve"] }));
    const out = { results: [] as Run[], bare: [] as Run[] };
    for (let run = 0; run < runs; run++) {
      out.results.push(await load(service));
      out.bare.push(await load(floor));
      ctx.log(
        `P6 run ${run + 1}/${runs}: service ${summary(out.results[run]!)}; bare grpc-js ${summary(out.bare[run]!)}`,
      );
    }
    return out;
  });
  const perSecond = median(results.map(rate));
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
      name: "server CPU per download, bare grpc-js",
      value: median(bare.map((r) => r.serverCpuMsPerDownload)),
      unit: "ms",
      target: "",
      met: undefined,
      kind: "info",
    },
    {
      id: "P6",
      name: "bare grpc-js server, same load (the floor: read and stream the file, nothing else)",
      value: median(bare.map(rate)),
      unit: "/s",
      target: "",
      met: undefined,
      kind: "info",
      detail: `median of ${runs} runs`,
    },
    {
      id: "P6",
      name: "downloads/s, service / bare grpc-js (same-run pairs)",
      value: median(results.map((r, i) => rate(r) / rate(bare[i]!))),
      unit: "×",
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
  return { figures, raw: { service: results, bare } };
}

function rate(r: SmallDownloadsResult): number {
  return (r.completed / r.ms) * 1000;
}

function summary(r: SmallDownloadsResult & { serverCpuMsPerDownload: number }): string {
  return `${rate(r).toFixed(0)}/s, ${r.serverCpuMsPerDownload.toFixed(2)} ms CPU/download, ${r.failed} failed`;
}
