import path from "node:path";
import { runLoad, sampleRss } from "../lib/children";
import { fixedDelay, serviceEnv, startService, withChildren, type BenchContext } from "../lib/context";
import { atMost, type Figure } from "../lib/figures";
import { range, writeFiles } from "../lib/fixtures";
import { MiB } from "../lib/stats";
import type { WaitingStreamsResult } from "../load/tasks";

const FIRST_FILE_ID = 30_000;

/**
 * N streams, each on its own file, all held in the processing phase (one job each, a delay far
 * longer than the hold): server RSS and how late heartbeats come.
 */
export async function p3WaitingStreams(ctx: BenchContext): Promise<{ figures: Figure[]; raw: unknown }> {
  const { streams, heartbeatMs, holdMs, channels } = ctx.profile.p3;
  const dataDir = path.join(ctx.workDir, "p3");
  const fileIds = range(FIRST_FILE_ID, streams);
  await writeFiles(dataDir, fileIds, 1024);
  const { result, peakBytes } = await withChildren(async (track) => {
    const service = track(
      await startService(
        serviceEnv(dataDir, {
          ...fixedDelay(holdMs * 10),
          HEARTBEAT_INTERVAL_MS: String(heartbeatMs),
          MAX_CONCURRENT_JOBS: String(streams),
        }),
      ),
    );
    const sampler = sampleRss(service.pid, 100);
    const result = await runLoad<WaitingStreamsResult>({
      kind: "waiting-streams",
      address: `127.0.0.1:${service.port}`,
      fileIds,
      channels,
      holdMs,
      heartbeatMs,
    });
    return { result, peakBytes: sampler.stop().peakBytes };
  });
  ctx.log(`P3: ${JSON.stringify(result)}, peak RSS ${(peakBytes / MiB).toFixed(1)} MiB`);
  const figures: Figure[] = [
    {
      id: "P3",
      name: `streams waiting in processing (of ${streams} opened)`,
      value: result.waiting,
      unit: "streams",
      target: `= ${streams}`,
      met: result.waiting === streams && result.failed === 0,
      kind: "correctness",
      detail: `${result.failed} failed; all waiting ${(result.allWaitingAfterMs / 1000).toFixed(1)} s after opening`,
    },
    {
      id: "P3",
      name: `server peak RSS, ${streams} waiting streams`,
      value: peakBytes / MiB,
      unit: "MiB",
      target: "≤ 256",
      met: atMost(peakBytes / MiB, 256),
      kind: "timing",
    },
    {
      id: "P3",
      name: `heartbeat lateness p99 (${heartbeatMs} ms interval)`,
      value: result.latenessP99Ms,
      unit: "ms",
      target: "≤ 250",
      met: atMost(result.latenessP99Ms, 250),
      kind: "timing",
      detail: `${result.heartbeats} heartbeats, p50 ${result.latenessP50Ms.toFixed(1)} ms, max ${result.latenessMaxMs.toFixed(1)} ms`,
    },
  ];
  return { figures, raw: { ...result, peakBytes } };
}
