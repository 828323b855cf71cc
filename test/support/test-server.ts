import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { credentials, Metadata } from "@grpc/grpc-js";
import { loadConfig, type Config } from "../../src/config/config";
import { DownloadServiceClient } from "../../src/gen/delineate/v1/download_service";
import { createLogger } from "../../src/observability/logger";
import { startServer, type RunningServer, type StartOptions } from "../../src/server/start-server";
import type { ObjectStore } from "../../src/storage/object-store";
import { writeToDataDir, type TestFile } from "./files";

/** Small timings so a test sees whole lifecycles in well under a second. */
export const TEST_ENV = {
  GRPC_HOST: "127.0.0.1",
  GRPC_PORT: "0",
  METRICS_PORT: "0",
  DOWNLOAD_DELAY_MIN_MS: "300",
  DOWNLOAD_DELAY_MAX_MS: "300",
  HEARTBEAT_INTERVAL_MS: "100",
  SHUTDOWN_GRACE_MS: "1000",
  SEED_SAMPLE_DATA: "false",
  LOG_LEVEL: "error",
  STORAGE_RETRY_DELAYS_MS: "10,20",
} as const;

export interface TestServerOptions {
  readonly env?: Record<string, string>;
  readonly files?: readonly TestFile[];
  /** Reuse a data directory (restart tests); otherwise a fresh temp dir is made and removed. */
  readonly dataDir?: string;
  readonly store?: ObjectStore;
  readonly onScan?: StartOptions["onScan"];
}

export interface TestServer {
  readonly address: string;
  readonly config: Config;
  readonly dataDir: string;
  readonly running: RunningServer;
  /** A client on its own channel; closed by close(). */
  client(options?: Record<string, number>): DownloadServiceClient;
  close(): Promise<void>;
}

/** The real server on 127.0.0.1:0 with real clients; close() shuts both down and removes the data. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), "delineate-test-")));
  await writeToDataDir(dataDir, options.files ?? []);
  const config = loadConfig({ ...TEST_ENV, DATA_DIR: dataDir, ...options.env });
  const running = await startServer(config, {
    logger: createLogger("error", true),
    store: options.store,
    onScan: options.onScan,
  });
  const address = `127.0.0.1:${running.port}`;
  const clients: DownloadServiceClient[] = [];
  return {
    address,
    config,
    dataDir,
    running,
    client(channelOptions = {}) {
      const client = new DownloadServiceClient(address, credentials.createInsecure(), channelOptions);
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.close();
      await running.shutdown();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function withKey(key: string, header: "authorization" | "x-api-key" = "authorization"): Metadata {
  const metadata = new Metadata();
  metadata.set(header, header === "authorization" ? `Bearer ${key}` : key);
  return metadata;
}
