import { MiB } from "./stats";

/** Sizes and counts per run: `full` is the benchmark, `smoke` proves the harness at tiny sizes. */
export interface Profile {
  readonly name: "full" | "smoke";
  readonly p1: {
    bytes: number;
    runs: number;
    s3Bytes: number;
    s3Runs: number;
    window: number;
    /** Also the 1 MiB-chunk and default-window variants. */
    sweep: boolean;
  };
  readonly p2: { sizes: readonly number[]; bytesPerSecond: number };
  readonly p3: { streams: number; heartbeatMs: number; holdMs: number; channels: number };
  readonly p4: { streams: number; bytes: number; delayMs: number };
  readonly p5: { streams: number; runs: number; channels: number };
  readonly p6: { files: number; bytes: number; concurrency: number; durationMs: number; runs: number };
}

export const FULL: Profile = {
  name: "full",
  p1: { bytes: 256 * MiB, runs: 5, s3Bytes: 64 * MiB, s3Runs: 3, window: 16 * MiB, sweep: true },
  p2: { sizes: [1024 * MiB, 256 * MiB], bytesPerSecond: 64 * MiB },
  p3: { streams: 2000, heartbeatMs: 5000, holdMs: 15_500, channels: 8 },
  p4: { streams: 100, bytes: 4 * MiB, delayMs: 1000 },
  p5: { streams: 500, runs: 3, channels: 4 },
  p6: { files: 16, bytes: 1 * MiB, concurrency: 64, durationMs: 6000, runs: 3 },
};

export const SMOKE: Profile = {
  name: "smoke",
  p1: { bytes: 4 * MiB, runs: 1, s3Bytes: 1 * MiB, s3Runs: 1, window: 16 * MiB, sweep: false },
  p2: { sizes: [4 * MiB], bytesPerSecond: 32 * MiB },
  p3: { streams: 20, heartbeatMs: 200, holdMs: 900, channels: 2 },
  p4: { streams: 10, bytes: 256 * 1024, delayMs: 300 },
  p5: { streams: 20, runs: 1, channels: 2 },
  p6: { files: 4, bytes: 64 * 1024, concurrency: 4, durationMs: 400, runs: 1 },
};
