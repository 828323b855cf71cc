import { after, before } from "node:test";
import type { TestFile } from "./files";
import { startFaultProxy, type FaultProxy } from "./fault-proxy";
import { trackSuiteResources } from "./no-leaks";
import { putFiles, s3Env } from "./s3-files";
import { startS3, type RunningS3 } from "./s3-server";
import { startTestServer, type TestServer, type TestServerOptions } from "./test-server";

/** Storage policies small enough for a test to see retries, the breaker and recovery. */
export const LAB_POLICY_ENV = {
  STORAGE_RETRY_DELAYS_MS: "50,100,200",
  STORAGE_BREAKER_THRESHOLD: "5",
  STORAGE_BREAKER_HALF_OPEN_AFTER_MS: "1500",
  STORAGE_TIMEOUT_MS: "600",
  STORAGE_FAILOVER_PROBE_MS: "200",
} as const;

export interface StorageLab {
  /** One per endpoint, primary first; each holds every file. */
  readonly s3: readonly RunningS3[];
  /** The fault proxy in front of each s3rver; the server talks only to these. */
  readonly proxies: readonly FaultProxy[];
  readonly server: TestServer;
  close(): Promise<void>;
}

export interface StorageLabOptions {
  readonly files: readonly TestFile[];
  /** Copies of the bucket (failover endpoints); 1 by default. */
  readonly endpoints?: number;
  readonly env?: Record<string, string>;
  readonly onScan?: TestServerOptions["onScan"];
}

/** The real server on the s3 driver, through fault proxies, to real s3rver instances on loopback. */
export async function startStorageLab(options: StorageLabOptions): Promise<StorageLab> {
  const s3: RunningS3[] = [];
  const proxies: FaultProxy[] = [];
  const closeAll = async () => {
    for (const proxy of proxies) await proxy.close();
    for (const instance of s3) await instance.close();
  };
  try {
    for (let i = 0; i < (options.endpoints ?? 1); i++) {
      const instance = await startS3();
      s3.push(instance);
      await putFiles(instance.endpoint, options.files);
      proxies.push(await startFaultProxy(instance.endpoint));
    }
    const server = await startTestServer({
      env: { ...LAB_POLICY_ENV, ...s3Env(proxies.map((p) => p.endpoint)), ...options.env },
      onScan: options.onScan,
    });
    return {
      s3,
      proxies,
      server,
      async close() {
        await server.close();
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * A storage lab for one describe block: started before its tests, closed after them, and the
 * suite must leave nothing open. Returns a getter (the lab exists once `before` has run).
 */
export function useStorageLab(options: StorageLabOptions): () => StorageLab {
  const resources = trackSuiteResources();
  let lab: StorageLab | undefined;
  before(async () => {
    lab = await startStorageLab(options);
  });
  after(async () => {
    await lab?.close();
    await resources.assertClean();
  });
  return () => {
    if (!lab) throw new Error("storage lab not started");
    return lab;
  };
}
