import {
  type DownloadPhase,
  DownloadRequest,
  DownloadResponse,
} from "../../../src/gen/delineate/v1/download_service";
import { GrpcCode, GrpcWebError, serverStream } from "./grpc-web-call";

/**
 * The page assembles the file in memory (as Blob parts) and hashes it with WebCrypto, which needs the
 * whole file in one buffer: so it refuses files above this size up front.
 */
export const MAX_BROWSER_FILE_BYTES = 256 * 1024 * 1024;

export type WebDownloadEvent =
  | {
      readonly type: "status";
      readonly phase: DownloadPhase;
      readonly percent: number;
      readonly etaMs: number | undefined;
      readonly message: string;
    }
  | {
      readonly type: "metadata";
      readonly sizeBytes: number;
      readonly sha256: string;
      readonly readOffset: number;
    }
  | {
      readonly type: "progress";
      readonly bytes: number;
      readonly totalBytes: number;
      readonly bytesPerSecond: number;
    }
  | {
      readonly type: "retry";
      readonly attempt: number;
      readonly delayMs: number;
      readonly reason: string;
      readonly resumeOffset: number;
    }
  | { readonly type: "verifying" }
  | {
      readonly type: "complete";
      readonly sizeBytes: number;
      readonly sha256: string;
      readonly attempts: number;
    };

export interface WebDownloadOptions {
  readonly onEvent?: (event: WebDownloadEvent) => void;
  readonly signal?: AbortSignal;
  readonly apiKey?: string;
  /** No message for this long (3 heartbeats) means the stream is dead: abandon it and resume. */
  readonly idleTimeoutMs?: number;
  /** Failed attempts in a row before giving up. */
  readonly retryBudget?: number;
}

export interface WebDownloadResult {
  readonly blob: Blob;
  readonly sha256: string;
  readonly attempts: number;
}

const METHOD = "delineate.v1.DownloadService/Download";

/**
 * Downloads one file over gRPC-Web, resuming after a drop with the NEW read_offset and if_sha256
 * (a retry that repeats the first request would fetch the file again), then verifies its sha256.
 */
export async function downloadInBrowser(
  baseUrl: string,
  fileId: number,
  options: WebDownloadOptions = {},
): Promise<WebDownloadResult> {
  const emit = options.onEvent ?? (() => undefined);
  const idleTimeoutMs = options.idleTimeoutMs ?? 15_000;
  const budget = options.retryBudget ?? 8;
  const parts: BlobPart[] = [];
  let offset = 0;
  let size = -1;
  let sha256 = "";
  let attempts = 0;
  let failuresInARow = 0;
  for (;;) {
    attempts++;
    let progressed = false;
    const attemptAbort = new AbortController();
    const onAbort = () => attemptAbort.abort();
    options.signal?.addEventListener("abort", onAbort);
    let idle = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        idle = true;
        attemptAbort.abort();
      }, idleTimeoutMs);
    };
    let completeSha = "";
    let rateStart = { at: performance.now(), bytes: offset };
    try {
      const request = DownloadRequest.encode({
        fileId,
        readOffset: offset,
        readLimit: 0,
        chunkSizeBytes: 0,
        ifSha256: sha256,
      }).finish();
      const headers: Record<string, string> = { "x-file-id": String(fileId) };
      if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
      arm();
      for await (const bytes of serverStream(baseUrl, METHOD, request, {
        headers,
        signal: attemptAbort.signal,
      })) {
        arm();
        const event = DownloadResponse.decode(bytes).event;
        if (event?.$case === "status") {
          const s = event.value;
          const d = s.estimatedRemaining;
          emit({
            type: "status",
            phase: s.phase,
            percent: s.progressPercent,
            etaMs: d ? d.seconds * 1000 + d.nanos / 1e6 : undefined,
            message: s.message,
          });
        } else if (event?.$case === "metadata") {
          const m = event.value;
          if (m.readOffset !== offset) throw new Error(`server resumed at ${m.readOffset}, not ${offset}`);
          if (m.sizeBytes > MAX_BROWSER_FILE_BYTES)
            throw new Error(
              `the file is ${m.sizeBytes} bytes; this page handles up to ${MAX_BROWSER_FILE_BYTES}`,
            );
          size = m.sizeBytes;
          sha256 = m.sha256;
          emit({ type: "metadata", sizeBytes: size, sha256, readOffset: m.readOffset });
        } else if (event?.$case === "chunk") {
          const c = event.value;
          if (c.offset !== offset) throw new Error(`chunk at ${c.offset}, expected ${offset}`);
          // A copy detaches the chunk from the frame buffer it was decoded from.
          parts.push(c.data.slice());
          offset += c.data.length;
          progressed = true;
          const elapsed = (performance.now() - rateStart.at) / 1000;
          const bytesPerSecond = elapsed > 0 ? (offset - rateStart.bytes) / elapsed : 0;
          if (elapsed > 3) rateStart = { at: performance.now(), bytes: offset };
          emit({ type: "progress", bytes: offset, totalBytes: size, bytesPerSecond });
          compact(parts);
        } else if (event?.$case === "complete") {
          completeSha = event.value.sha256;
        }
      }
      if (size >= 0 && offset === size && completeSha === sha256) break;
      throw new GrpcWebError(GrpcCode.UNAVAILABLE, "the stream ended before the file was complete", true);
    } catch (error) {
      options.signal?.throwIfAborted();
      const failure = classify(error, idle, idleTimeoutMs);
      if (!failure.retryable) throw error instanceof Error ? error : new Error(String(error));
      failuresInARow = progressed ? 1 : failuresInARow + 1;
      if (failuresInARow > budget)
        throw new Error(`gave up after ${failuresInARow} failed attempts: ${failure.reason}`);
      // Capped exponential backoff with jitter; a server's retry-after-ms is a floor.
      const ceiling = Math.min(10_000, 250 * 2 ** (failuresInARow - 1));
      const delayMs = Math.max(Math.round(ceiling * (0.5 + Math.random() / 2)), failure.retryAfterMs);
      emit({ type: "retry", attempt: attempts, delayMs, reason: failure.reason, resumeOffset: offset });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }
  emit({ type: "verifying" });
  const blob = new Blob(parts, { type: "application/zip" });
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  const actual = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (actual !== sha256) throw new Error(`sha256 mismatch: expected ${sha256}, got ${actual}`);
  emit({ type: "complete", sizeBytes: size, sha256: actual, attempts });
  return { blob, sha256: actual, attempts };
}

/** Folds many small parts into one Blob now and then, which the browser may keep out of the JS heap. */
function compact(parts: BlobPart[]): void {
  if (parts.length < 64) return;
  const blob = new Blob(parts.splice(0));
  parts.push(blob);
}

function classify(error: unknown, idle: boolean, idleTimeoutMs: number) {
  if (idle) return { retryable: true, reason: `no message for ${idleTimeoutMs} ms`, retryAfterMs: 0 };
  if (error instanceof GrpcWebError) {
    // Only what says "the stream broke, the file did not"; see clients/node/retry-policy.ts.
    const retryable =
      error.network || error.code === GrpcCode.UNAVAILABLE || error.code === GrpcCode.DEADLINE_EXCEEDED;
    return { retryable, reason: error.message, retryAfterMs: error.retryAfterMs };
  }
  return { retryable: false, reason: String(error), retryAfterMs: 0 };
}
