import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { setTimeout as sleep } from "node:timers/promises";
import type { DownloadServiceClient } from "../../src/gen/delineate/v1/download_service";
import { STORAGE_HEALTH_SERVICE } from "../../src/resilience/storage-health";
import { collectDownload, downloadRequest } from "../../test/support/collect";
import { makeFile, sha256 } from "../../test/support/files";
import { checkHealth } from "../../test/support/s3-files";
import { startStorageLab } from "../../test/support/storage-lab";
import type { DrillResult } from "./drill-result";

export interface StorageOutageOptions {
  /** STORAGE_BREAKER_HALF_OPEN_AFTER_MS for the drill (the 30 s default would only make it slow). */
  readonly halfOpenMs: number;
  /** Calls made while the breaker is open. */
  readonly fastCalls: number;
}

const THRESHOLD = 5;
const RETRY_DELAYS_MS = [100, 200, 400];

/**
 * Storage refuses every connection for a while: count the failed attempts that reached storage
 * before the breaker opened, how fast and how storage-free later calls are, and when a trial call
 * closes it after storage returns. Default retry delays (100, 200, 400 ms).
 */
export async function storageOutageDrill(options: StorageOutageOptions): Promise<DrillResult> {
  const file = makeFile(40_001, 256 * 1024);
  const lab = await startStorageLab({
    files: [file],
    env: {
      DOWNLOAD_DELAY_ENABLED: "false",
      STORAGE_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(","),
      STORAGE_BREAKER_THRESHOLD: String(THRESHOLD),
      STORAGE_BREAKER_HALF_OPEN_AFTER_MS: String(options.halfOpenMs),
      STORAGE_TIMEOUT_MS: "2000",
    },
  });
  try {
    const proxy = lab.proxies[0]!;
    const client = lab.server.client();
    const problems: string[] = [];

    proxy.setMode({ kind: "refuse" });
    const down = proxy.connections;
    let callsToOpen = 0;
    while (
      callsToOpen < 10 &&
      (await checkHealth(lab.server.address, STORAGE_HEALTH_SERVICE)) === "SERVING"
    ) {
      const answer = await checkFile(client, file.fileId);
      if (answer.error?.code !== status.UNAVAILABLE) problems.push("an outage call was not UNAVAILABLE");
      callsToOpen += 1;
    }
    const failuresToOpen = proxy.connections - down;
    const times = proxy.connectionTimes.slice(down, down + RETRY_DELAYS_MS.length + 1);
    const gaps = times.slice(1).map((t, i) => Math.round(t - times[i]!));
    if (gaps.some((gap, i) => gap < RETRY_DELAYS_MS[i]! - 5)) problems.push(`retry gaps ${gaps.join("/")}`);

    const open = proxy.connections;
    const latencies: number[] = [];
    let minRetryAfter = Infinity;
    for (let i = 0; i < options.fastCalls; i++) {
      const answer = await checkFile(client, file.fileId);
      latencies.push(answer.ms);
      if (answer.error?.code !== status.UNAVAILABLE)
        problems.push("an open-breaker call was not UNAVAILABLE");
      minRetryAfter = Math.min(minRetryAfter, Number(answer.error?.metadata.get("retry-after-ms")[0] ?? NaN));
    }
    const touchedWhileOpen = proxy.connections - open;
    latencies.sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)] ?? Infinity;
    const slowest = latencies.at(-1) ?? Infinity;
    const processHealth = await checkHealth(lab.server.address, "");

    proxy.setMode({ kind: "pass" });
    const back = performance.now();
    let recoveredMs = -1;
    while (performance.now() - back < options.halfOpenMs + 5_000) {
      const answer = await checkFile(client, file.fileId);
      if (!answer.error) {
        recoveredMs = performance.now() - back;
        break;
      }
      await sleep(100);
    }
    const storageHealth = await checkHealth(lab.server.address, STORAGE_HEALTH_SERVICE);
    const result = await collectDownload(client, downloadRequest(file.fileId));
    const verified = result.status.code === status.OK && sha256(result.bytes) === file.sha256;

    if (failuresToOpen !== THRESHOLD) problems.push(`opened after ${failuresToOpen} failures`);
    if (touchedWhileOpen !== 0) problems.push("storage touched while open");
    // Storage untouched is the proof; the times only need to be far below one storage attempt.
    if (median > 100) problems.push("open-breaker answers were slow");
    if (!(minRetryAfter > 0)) problems.push("no retry-after-ms");
    if (processHealth !== "SERVING") problems.push(`"" health was ${processHealth}`);
    if (recoveredMs < 0 || storageHealth !== "SERVING") problems.push("did not recover");
    if (!verified) problems.push("download after recovery failed");
    return {
      drill: "storage down for a while",
      expected:
        `retries after ${RETRY_DELAYS_MS.join("/")} ms; breaker opens after ${THRESHOLD} failed attempts; ` +
        "later calls UNAVAILABLE fast, storage untouched; recovery closes it",
      observed:
        `first call's attempts ${gaps.map((g) => `+${g}`).join(", ")} ms apart; ` +
        `opened after ${failuresToOpen} failed attempts (${callsToOpen} calls); ` +
        `${options.fastCalls} calls while open: median ${median.toFixed(1)} ms, slowest ${slowest.toFixed(1)} ms, ${touchedWhileOpen} storage connections, ` +
        `retry-after-ms ≥ ${Number.isFinite(minRetryAfter) ? minRetryAfter : "none"}; "" health ${processHealth}; ` +
        `closed ${(recoveredMs / 1000).toFixed(1)} s after storage returned (half-open ${options.halfOpenMs} ms)` +
        (problems.length > 0 ? `; PROBLEMS: ${problems.join("; ")}` : ""),
      bytesVerified: verified ? result.bytes.length : 0,
      pass: problems.length === 0,
    };
  } finally {
    await lab.close();
  }
}

function checkFile(
  client: DownloadServiceClient,
  fileId: number,
): Promise<{ error: ServiceError | null; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) =>
    client.checkFile({ fileId }, new Metadata(), (error) =>
      resolve({ error, ms: performance.now() - started }),
    ),
  );
}
