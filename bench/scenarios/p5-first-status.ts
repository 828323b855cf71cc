import path from "node:path";
import { cpuMsOf, runLoad } from "../lib/children";
import { serviceEnv, startService, withChildren, type BenchContext } from "../lib/context";
import { atMost, type Figure } from "../lib/figures";
import { range, writeFiles } from "../lib/fixtures";
import { median } from "../lib/stats";
import type { FirstStatusResult } from "../load/tasks";

const FIRST_FILE_ID = 50_000;
const WARMUP_STREAMS = 32;

/** N new streams on N cold files opened in one go: time to each one's first status. Fresh server per run. */
export async function p5FirstStatus(ctx: BenchContext): Promise<{ figures: Figure[]; raw: unknown }> {
  const { streams, runs, channels } = ctx.profile.p5;
  const dataDir = path.join(ctx.workDir, "p5");
  const fileIds = range(FIRST_FILE_ID, streams);
  const warmupFileIds = range(FIRST_FILE_ID + streams, WARMUP_STREAMS);
  await writeFiles(dataDir, [...fileIds, ...warmupFileIds], 1024);
  const results: Array<FirstStatusResult & { serverCpuMsPerStream: number }> = [];
  for (let run = 0; run < runs; run++) {
    const result = await withChildren(async (track) => {
      // A delay far beyond the run: every file stays cold, so each run sees new jobs.
      const service = track(
        await startService(
          serviceEnv(dataDir, {
            DOWNLOAD_DELAY_ENABLED: "true",
            DOWNLOAD_DELAY_MIN_MS: "600000",
            DOWNLOAD_DELAY_MAX_MS: "600000",
          }),
        ),
      );
      const before = cpuMsOf(service.pid);
      const out = await runLoad<FirstStatusResult>({
        kind: "first-status",
        address: `127.0.0.1:${service.port}`,
        fileIds,
        warmupFileIds,
        channels,
      });
      const serverCpuMsPerStream = (cpuMsOf(service.pid) - before) / (streams + WARMUP_STREAMS);
      return { ...out, serverCpuMsPerStream };
    });
    ctx.log(`P5 run ${run + 1}/${runs}: ${JSON.stringify(result)}`);
    results.push(result);
  }
  const p99 = median(results.map((r) => r.p99Ms));
  const missing = results.reduce((n, r) => n + r.missing, 0);
  const figures: Figure[] = [
    {
      id: "P5",
      name: `first status p99, ${streams} new streams at once`,
      value: p99,
      unit: "ms",
      target: "≤ 50",
      met: atMost(p99, 50),
      kind: "timing",
      detail: `median of ${runs} runs; p50 ${median(results.map((r) => r.p50Ms)).toFixed(1)} ms`,
    },
    {
      id: "P5",
      name: "server CPU per stream (open, job, first status, cancel)",
      value: median(results.map((r) => r.serverCpuMsPerStream)),
      unit: "ms",
      target: "",
      met: undefined,
      kind: "info",
    },
    {
      id: "P5",
      name: "streams that got a first status",
      value: streams * runs - missing,
      unit: "streams",
      target: `= ${streams * runs}`,
      met: missing === 0,
      kind: "correctness",
    },
  ];
  return { figures, raw: results };
}
