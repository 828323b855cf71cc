import { status } from "@grpc/grpc-js";
import { DownloadPhase } from "../../src/gen/delineate/v1/download_service";
import { collectDownload, downloadRequest, statuses } from "../../test/support/collect";
import { makeFile, sha256 } from "../../test/support/files";
import { startStorageLab } from "../../test/support/storage-lab";
import type { DrillResult } from "./drill-result";

const HEARTBEAT_MS = 100;
/** Scheduling slack on a busy 2-core machine; the contract is the cadence, not the millisecond. */
const HEARTBEAT_SLACK_MS = 200;
/** Far under any edge idle timeout (Envoy's route idle_timeout is ≥ 60 s). */
const MAX_SILENCE_MS = 2_000;

/**
 * Storage answers slowly (added latency and a bandwidth cap), so the sha256 scan and the send both
 * crawl: heartbeats must keep their cadence while waiting, and the stream must never go quiet.
 */
export async function slowStorageDrill(options: {
  readonly fileBytes: number;
  readonly latencyMs: number;
  readonly bytesPerSecond: number;
}): Promise<DrillResult> {
  const file = makeFile(44_001, options.fileBytes);
  const lab = await startStorageLab({
    files: [file],
    env: {
      DOWNLOAD_DELAY_MIN_MS: "100",
      DOWNLOAD_DELAY_MAX_MS: "100",
      HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
      STORAGE_TIMEOUT_MS: "5000",
    },
  });
  try {
    lab.proxies[0]!.setMode({
      kind: "slow",
      latencyMs: options.latencyMs,
      bytesPerSecond: options.bytesPerSecond,
    });
    const result = await collectDownload(lab.server.client(), downloadRequest(file.fileId));
    const waiting = statuses(result).filter((s) => s.phase !== DownloadPhase.DOWNLOAD_PHASE_READY);
    let heartbeatGap = 0;
    for (let i = 1; i < waiting.length; i++)
      heartbeatGap = Math.max(heartbeatGap, waiting[i]!.at - waiting[i - 1]!.at);
    let silence = result.messages[0] ? result.messages[0].at - result.startedAt : Infinity;
    for (let i = 1; i < result.messages.length; i++) {
      silence = Math.max(silence, result.messages[i]!.at - result.messages[i - 1]!.at);
    }
    const totalMs = (result.messages.at(-1)?.at ?? performance.now()) - result.startedAt;
    const verified = result.status.code === status.OK && sha256(result.bytes) === file.sha256;
    const pass =
      verified &&
      waiting.length >= 3 &&
      heartbeatGap <= HEARTBEAT_MS + HEARTBEAT_SLACK_MS &&
      silence <= MAX_SILENCE_MS;
    const kib = Math.round(options.bytesPerSecond / 1024);
    return {
      drill: "storage slow (latency, bandwidth cap)",
      expected: `heartbeats every ${HEARTBEAT_MS} ms while waiting; no silence near an edge idle timeout`,
      observed:
        `+${options.latencyMs} ms latency, ${kib} KiB/s cap: ${(totalMs / 1000).toFixed(1)} s download, ` +
        `${waiting.length} heartbeats, largest heartbeat gap ${heartbeatGap.toFixed(0)} ms, ` +
        `longest silence ${silence.toFixed(0)} ms; ${status[result.status.code]}`,
      bytesVerified: verified ? result.bytes.length : 0,
      pass,
    };
  } finally {
    await lab.close();
  }
}
