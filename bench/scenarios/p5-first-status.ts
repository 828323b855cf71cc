import path from "node:path";
import { cpuMsOf, runLoad, startChild, type Child } from "../lib/children";
import { fixedDelay, serviceEnv, startService, withChildren, type BenchContext } from "../lib/context";
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
  type Run = FirstStatusResult & { serverCpuMsPerStream: number };
  const measure = (start: () => Promise<Child>) =>
    withChildren(async (track): Promise<Run> => {
      const server = track(await start());
      const before = cpuMsOf(server.pid);
      const out = await runLoad<FirstStatusResult>({
        kind: "first-status",
        address: `127.0.0.1:${server.port}`,
        fileIds,
        warmupFileIds,
        channels,
      });
      return { ...out, serverCpuMsPerStream: (cpuMsOf(server.pid) - before) / (streams + WARMUP_STREAMS) };
    });
  // A delay far beyond the run: every file stays cold, so each run sees new jobs.
  const service = () => startService(serviceEnv(dataDir, fixedDelay(600_000)));
  const results: Run[] = [];
  const bare: Run[] = [];
  for (let run = 0; run < runs; run++) {
    results.push(await measure(service));
    bare.push(await measure(() => startChild("bare-grpc-server.js", { args: [dataDir, "hold"] })));
    ctx.log(
      `P5 run ${run + 1}/${runs}: service ${summary(results[run]!)}; bare grpc-js ${summary(bare[run]!)}`,
    );
  }
  const p99 = median(results.map((r) => r.p99Ms));
  const missing = results.reduce((n, r) => n + r.missing, 0);
  const bareP99 = median(bare.map((r) => r.p99Ms));
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
      name: "bare grpc-js server, same load (the floor: one status written at once, nothing else)",
      value: bareP99,
      unit: "ms",
      target: "",
      met: undefined,
      kind: "info",
      detail: `p99, median of ${runs} runs; server CPU ${median(bare.map((r) => r.serverCpuMsPerStream)).toFixed(2)} ms per stream`,
    },
    {
      id: "P5",
      name: "first status p99, service / bare grpc-js (same runs)",
      value: median(results.map((r, i) => r.p99Ms / bare[i]!.p99Ms)),
      unit: "×",
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
  return { figures, raw: { service: results, bare } };
}

function summary(r: FirstStatusResult & { serverCpuMsPerStream: number }): string {
  return `p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms, ${r.serverCpuMsPerStream.toFixed(2)} ms CPU/stream, ${r.missing} missing`;
}
