import { setTimeout as sleep } from "node:timers/promises";
import { status, type StatusObject } from "@grpc/grpc-js";
import type { DownloadResponse, DownloadServiceClient } from "../../src/gen/delineate/v1/download_service";
import { collectDownload, downloadRequest } from "../../test/support/collect";
import { makeFile, sha256, type TestFile } from "../../test/support/files";
import { startStorageLab } from "../../test/support/storage-lab";
import type { DrillResult } from "./drill-result";
import { describeCounts, excessOver, resourceCounts } from "./resources";

export interface ClientCancelsOptions {
  readonly cancels: number;
  /** Calls in flight at once. */
  readonly concurrency: number;
  /** For the random cancel points, so a run can be repeated. */
  readonly seed: number;
}

type Stage = "before any message" | "while waiting" | "while sending";

/** A third of the cancels come within this many ms of the call (often before any answer). */
const EARLY_CANCEL_MS = 20;
/** The rest come after the n-th message, n in 1..this: statuses, READY, metadata, chunks. */
const MAX_MESSAGES_BEFORE_CANCEL = 12;

/**
 * Many Downloads cancelled by the client at random points (before the first message, while the
 * file is prepared, while chunks flow), through the s3 driver. Afterwards the process must hold no
 * more sockets, timers or file handles than before, and no stream or job may be left.
 */
export async function clientCancelsDrill(options: ClientCancelsOptions): Promise<DrillResult> {
  const random = mulberry32(options.seed);
  const fileCount = Math.max(5, Math.ceil(options.cancels / 10));
  const files = Array.from({ length: fileCount }, (_, i) => makeFile(42_000 + i, 384 * 1024 + i));
  const warmFile = makeFile(42_999, 64 * 1024);
  const lab = await startStorageLab({
    files: [...files, warmFile],
    env: {
      DOWNLOAD_DELAY_MIN_MS: "100",
      DOWNLOAD_DELAY_MAX_MS: "300",
      HEARTBEAT_INTERVAL_MS: "50",
      // Client, server, s3rver and proxy share one event loop here: give storage calls room.
      STORAGE_TIMEOUT_MS: "10000",
      MAX_STREAMS_PER_CLIENT: String(options.cancels),
    },
  });
  try {
    const { deps } = lab.server.running;
    const client = lab.server.client();
    // Warm up the channel and the storage pool, then take the baseline.
    const warm = await collectDownload(client, downloadRequest(warmFile.fileId));
    let bytesVerified =
      warm.status.code === status.OK && sha256(warm.bytes) === warmFile.sha256 ? warm.bytes.length : 0;
    const baseline = resourceCounts();

    const stages = new Map<Stage, number>();
    const codes = new Map<string, number>();
    // Calls whose cancel point fell after their end do not count: go on until `cancels` really cancelled.
    let cancelled = 0;
    let inFlight = 0;
    let calls = 0;
    const worker = async () => {
      while (cancelled + inFlight < options.cancels) {
        inFlight += 1;
        calls += 1;
        const file = files[Math.floor(random() * files.length)]!;
        const point =
          random() < 1 / 3
            ? { afterMs: random() * EARLY_CANCEL_MS }
            : { afterMessages: 1 + Math.floor(random() * MAX_MESSAGES_BEFORE_CANCEL) };
        const { stage, code } = await cancelAt(client, file, point);
        inFlight -= 1;
        codes.set(status[code], (codes.get(status[code]) ?? 0) + 1);
        if (code !== status.CANCELLED) continue;
        cancelled += 1;
        stages.set(stage, (stages.get(stage) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));

    // Jobs outlive their callers: wait for the ones still preparing, then judge.
    const settleBy = performance.now() + 15_000;
    while ((deps.jobs.size > 0 || deps.downloads.size > 0) && performance.now() < settleBy) await sleep(50);
    const jobsLeft = deps.jobs.size;
    const streamsLeft = deps.downloads.size;
    const excess = await excessOver(baseline, 5_000);

    // Still serving correctly afterwards.
    const after = await collectDownload(client, downloadRequest(files[0]!.fileId));
    const afterOk = after.status.code === status.OK && sha256(after.bytes) === files[0]!.sha256;
    if (afterOk) bytesVerified += after.bytes.length;

    const leaks = describeCounts(excess);
    const pass =
      cancelled >= options.cancels &&
      jobsLeft === 0 &&
      streamsLeft === 0 &&
      leaks === "none" &&
      afterOk &&
      bytesVerified > 0;
    const stageText = [...stages].map(([stage, n]) => `${n} ${stage}`).join(", ");
    const codeText = [...codes].map(([code, n]) => `${code} ${n}`).join(", ");
    return {
      drill: `${options.cancels.toLocaleString("en-US")} client cancels at random points`,
      expected: "no leaked streams, sockets, file handles or timers; job registry back to empty",
      observed:
        `${calls} calls, ${cancelled} cancelled: ${stageText} (codes: ${codeText}); afterwards: ${streamsLeft} open streams, ${jobsLeft} jobs, ` +
        `handles above baseline: ${leaks}; next download ${afterOk ? "ok" : "FAILED"}`,
      bytesVerified,
      pass,
    };
  } finally {
    await lab.close();
  }
}

function cancelAt(
  client: DownloadServiceClient,
  file: TestFile,
  point: { afterMs: number } | { afterMessages: number },
): Promise<{ stage: Stage; code: status }> {
  return new Promise((resolve) => {
    const call = client.download(downloadRequest(file.fileId));
    let stage: Stage = "before any message";
    let received = 0;
    call.on("data", (message: DownloadResponse) => {
      if (message.event?.$case === "status" && stage === "before any message") stage = "while waiting";
      if (message.event?.$case === "metadata") stage = "while sending";
      received += 1;
      if ("afterMessages" in point && received === point.afterMessages) call.cancel();
    });
    call.on("error", () => undefined);
    const timer = "afterMs" in point ? setTimeout(() => call.cancel(), point.afterMs) : undefined;
    call.on("status", (s: StatusObject) => {
      clearTimeout(timer);
      resolve({ stage, code: s.code });
    });
  });
}

/** A small seeded PRNG: the same seed gives the same cancel points. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
