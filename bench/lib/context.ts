import { SERVER_NODE_FLAGS } from "../../src/server/node-flags";
import type { Profile } from "./profile";
import { startChild, type Child } from "./children";

export interface BenchContext {
  readonly profile: Profile;
  /** A temp directory; each scenario makes its own data dir under it. */
  readonly workDir: string;
  log(message: string): void;
}

/** The service's environment for a benchmark: loopback, no seed data, quiet, no per-client cap in the way. */
export function serviceEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    GRPC_HOST: "127.0.0.1",
    GRPC_PORT: "0",
    METRICS_PORT: "0",
    DATA_DIR: dataDir,
    SEED_SAMPLE_DATA: "false",
    LOG_LEVEL: "warn",
    DOWNLOAD_DELAY_ENABLED: "false",
    // All load comes from one address; the cap is for fairness between clients, not under test here.
    MAX_STREAMS_PER_CLIENT: "100000",
    SHUTDOWN_GRACE_MS: "1000",
    ...extra,
  };
}

/** Every job's processing takes exactly `ms` (delay on, min = max). */
export function fixedDelay(ms: number): Record<string, string> {
  const value = String(ms);
  return { DOWNLOAD_DELAY_ENABLED: "true", DOWNLOAD_DELAY_MIN_MS: value, DOWNLOAD_DELAY_MAX_MS: value };
}

/**
 * The service with the node flags it runs with in production (SERVER_NODE_FLAGS), then
 * BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"; later flags win).
 */
export function startService(env: Record<string, string>): Promise<Child> {
  const extra = process.env.BENCH_SERVER_NODE_ARGS?.split(" ").filter((a) => a !== "") ?? [];
  return startChild("server-process.js", { env, execArgv: [...SERVER_NODE_FLAGS, ...extra] });
}

/** Stops every child, even when the scenario failed half way. */
export async function withChildren<T>(body: (track: <C extends Child>(c: C) => C) => Promise<T>): Promise<T> {
  const children: Child[] = [];
  try {
    return await body((c) => {
      children.push(c);
      return c;
    });
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}
