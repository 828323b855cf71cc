import { status as grpcStatus, type Metadata, type ServiceError } from "@grpc/grpc-js";
import type { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { Duration } from "../../src/gen/google/protobuf/duration";
import type {
  DownloadRequest,
  DownloadResponse,
  DownloadServiceClient,
} from "../../src/gen/delineate/v1/download_service";
import { ChecksumMismatchError, DownloadError } from "./download-errors";
import type { DownloadEventHandler } from "./download-events";
import type { DownloadSink } from "./download-sink";
import { PartFile } from "./part-file";
import { RateMeter } from "./rate-meter";
import {
  backoffDelay,
  DEFAULT_RETRY,
  isRetryable,
  retryAfterMs,
  type ResolvedRetryOptions,
  type RetryOptions,
} from "./retry-policy";
import { WritableSink } from "./writable-sink";

export interface DownloadOptions {
  readonly onEvent?: DownloadEventHandler;
  readonly signal?: AbortSignal;
  /** The server's HEARTBEAT_INTERVAL_MS; the idle watchdog fires after 3 of them. */
  readonly heartbeatIntervalMs?: number;
  /** Silence (no message at all) after which an attempt is abandoned and resumed. */
  readonly idleTimeoutMs?: number;
  readonly retry?: RetryOptions;
  /** 0 = the server's default (CLIENT_CHUNK_SIZE_BYTES, 1 MiB, costs the server less CPU per MiB). */
  readonly chunkSizeBytes?: number;
  /** Deadline per attempt; none by default, since processing alone may take minutes. */
  readonly attemptTimeoutMs?: number;
  readonly random?: () => number;
}

export interface DownloadResult {
  readonly fileId: number;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly attempts: number;
  readonly path: string | undefined;
}

/** What downloadFile needs from a client: the stub and per-call metadata. */
export interface DownloadTransport {
  stub(): DownloadServiceClient;
  metadata(fileId: number): Metadata;
  /** Replace the channel; used after a silent stream, whose connection is probably dead. */
  reconnect?(): void;
}

const DEFAULT_HEARTBEAT_MS = 5_000;

/** An attempt that ended without the whole file. */
interface AttemptFailure {
  readonly reason: string;
  readonly detail: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number;
  readonly error: ServiceError | undefined;
}

/**
 * Downloads one file to a path (via `{path}.part`, renamed only once the sha256 matches) or into a
 * Writable, resuming at the last good offset with if_sha256 whenever the stream breaks.
 */
export async function downloadFile(
  transport: DownloadTransport,
  fileId: number,
  destination: string | Writable,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const run = new DownloadRun(transport, fileId, options);
  const sink =
    typeof destination === "string"
      ? await PartFile.open(destination, fileId)
      : new WritableSink(destination);
  try {
    return await run.run(sink);
  } finally {
    await sink.close();
  }
}

class DownloadRun {
  private readonly emit: DownloadEventHandler;
  private readonly retry: ResolvedRetryOptions;
  private readonly idleTimeoutMs: number;
  private readonly rate = new RateMeter();
  private sizeBytes = 0;
  private completeSha256 = "";
  private bestProgress = -1;
  private progressed = false;

  constructor(
    private readonly transport: DownloadTransport,
    private readonly fileId: number,
    private readonly options: DownloadOptions,
  ) {
    this.emit = options.onEvent ?? (() => undefined);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.idleTimeoutMs = options.idleTimeoutMs ?? 3 * (options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS);
  }

  async run(sink: DownloadSink): Promise<DownloadResult> {
    const { fileId } = this;
    if (sink.offset > 0) this.emit({ type: "resume", fileId, offset: sink.offset });
    let attempts = 0;
    let failuresInARow = 0;
    let restartedForNewVersion = false;
    for (;;) {
      this.options.signal?.throwIfAborted();
      attempts++;
      this.progressed = false;
      const failure = await this.attempt(sink);
      if (!failure) return this.finish(sink, attempts);
      this.options.signal?.throwIfAborted();
      const error = failure.error;
      if (error?.code === grpcStatus.FAILED_PRECONDITION && sink.expectedSha256 && !restartedForNewVersion) {
        // The file changed since the held bytes were fetched: they are worthless, start once from zero.
        if (await sink.reset()) {
          restartedForNewVersion = true;
          this.sizeBytes = 0;
          continue;
        }
      }
      if (!failure.retryable) {
        throw error
          ? DownloadError.fromService(fileId, error, attempts)
          : new DownloadError(`file ${fileId}: ${failure.detail}`, fileId, undefined);
      }
      failuresInARow = this.progressed ? 1 : failuresInARow + 1;
      if (failuresInARow > this.retry.budget) {
        throw new DownloadError(
          `file ${fileId}: gave up after ${failuresInARow} failed attempts in a row: ${failure.reason} ${failure.detail}`,
          fileId,
          error?.code,
          { cause: error },
        );
      }
      const delayMs = Math.max(
        backoffDelay(this.retry, failuresInARow, this.options.random),
        failure.retryAfterMs,
      );
      this.emit({
        type: "retry",
        fileId,
        attempt: attempts,
        delayMs,
        reason: failure.reason,
        detail: failure.detail,
        resumeOffset: sink.offset,
      });
      if (failure.reason === "IDLE") this.transport.reconnect?.();
      this.rate.clear();
      await sleep(delayMs, undefined, { signal: this.options.signal });
    }
  }

  /** One Download call from sink.offset; undefined when it delivered the whole file. */
  private async attempt(sink: DownloadSink): Promise<AttemptFailure | undefined> {
    const request: DownloadRequest = {
      fileId: this.fileId,
      readOffset: sink.offset,
      readLimit: 0,
      chunkSizeBytes: this.options.chunkSizeBytes ?? 0,
      ifSha256: sink.expectedSha256,
    };
    const deadline = this.options.attemptTimeoutMs ? Date.now() + this.options.attemptTimeoutMs : undefined;
    const call = this.transport.stub().download(request, this.transport.metadata(this.fileId), { deadline });
    let idle = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(() => {
        idle = true;
        call.cancel();
      }, this.idleTimeoutMs);
    };
    const disarm = () => clearTimeout(timer);
    const onAbort = () => call.cancel();
    this.options.signal?.addEventListener("abort", onAbort);
    this.completeSha256 = "";
    try {
      arm();
      for await (const message of call as AsyncIterable<DownloadResponse>) {
        disarm();
        const protocolError = await this.handle(message, sink);
        if (protocolError) {
          call.cancel();
          return {
            reason: "PROTOCOL",
            detail: protocolError,
            retryable: false,
            retryAfterMs: 0,
            error: undefined,
          };
        }
        arm();
      }
    } catch (caught) {
      const error = caught as ServiceError;
      if (idle) {
        const detail = `no message for ${this.idleTimeoutMs} ms`;
        return { reason: "IDLE", detail, retryable: true, retryAfterMs: 0, error: undefined };
      }
      if (typeof error.code !== "number") throw caught;
      return {
        reason: grpcStatus[error.code] ?? String(error.code),
        detail: error.details,
        retryable: isRetryable(error, this.options.signal?.aborted === true),
        retryAfterMs: retryAfterMs(error),
        error,
      };
    } finally {
      disarm();
      this.options.signal?.removeEventListener("abort", onAbort);
      // Ends the call when we stop early (e.g. a failed disk write); a no-op once it has a status.
      call.cancel();
    }
    if (!this.completeSha256 || sink.offset !== this.sizeBytes) {
      // An OK status without the completion record: treat like a drop and resume.
      const detail = "stream ended before the file was complete";
      return { reason: "INCOMPLETE", detail, retryable: true, retryAfterMs: 0, error: undefined };
    }
    return undefined;
  }

  /** Applies one message; answers a description when the server broke the contract. */
  private async handle(message: DownloadResponse, sink: DownloadSink): Promise<string | undefined> {
    const { fileId } = this;
    const event = message.event;
    switch (event?.$case) {
      case "status": {
        const s = event.value;
        if (s.progressPercent > this.bestProgress) {
          this.bestProgress = s.progressPercent;
          this.progressed = true;
        }
        this.emit({
          type: "status",
          fileId,
          phase: s.phase,
          progressPercent: s.progressPercent,
          etaMs: durationMs(s.estimatedRemaining),
          jobId: s.jobId,
          joinedExistingJob: s.joinedExistingJob,
          message: s.message,
        });
        return undefined;
      }
      case "metadata": {
        const m = event.value;
        if (m.readOffset !== sink.offset)
          return `metadata read_offset ${m.readOffset}, expected ${sink.offset}`;
        if (sink.expectedSha256 && m.sha256 !== sink.expectedSha256)
          return `server sent sha256 ${m.sha256} for a resume guarded by ${sink.expectedSha256}`;
        await sink.begin(m.sizeBytes, m.sha256);
        this.sizeBytes = m.sizeBytes;
        this.emit({
          type: "metadata",
          fileId,
          sizeBytes: m.sizeBytes,
          sha256: m.sha256,
          contentType: m.contentType,
          readOffset: m.readOffset,
        });
        this.rate.add(sink.offset);
        this.emitProgress(sink);
        return undefined;
      }
      case "chunk": {
        const c = event.value;
        if (c.offset !== sink.offset) return `chunk at ${c.offset}, expected ${sink.offset}`;
        if (sink.offset + c.data.length > this.sizeBytes) return "more bytes than the file has";
        await sink.append(c.data);
        if (c.data.length > 0) this.progressed = true;
        this.rate.add(sink.offset);
        this.emitProgress(sink);
        return undefined;
      }
      case "complete":
        this.completeSha256 = event.value.sha256;
        return undefined;
      default:
        // A newer server's event kind: ignore it, as proto3 clients should.
        return undefined;
    }
  }

  private emitProgress(sink: DownloadSink): void {
    const bytesPerSecond = this.rate.bytesPerSecond();
    const left = this.sizeBytes - sink.offset;
    this.emit({
      type: "progress",
      fileId: this.fileId,
      bytes: sink.offset,
      totalBytes: this.sizeBytes,
      bytesPerSecond,
      etaMs: left === 0 ? 0 : bytesPerSecond > 0 ? (left * 1000) / bytesPerSecond : undefined,
    });
  }

  private async finish(sink: DownloadSink, attempts: number): Promise<DownloadResult> {
    const actual = sink.hash.digest("hex");
    for (const expected of [sink.expectedSha256, this.completeSha256]) {
      if (actual !== expected) {
        // Never keep bytes that failed: the next run must not resume from them.
        await sink.reset();
        throw new ChecksumMismatchError(this.fileId, expected, actual);
      }
    }
    await sink.commit();
    const result: DownloadResult = {
      fileId: this.fileId,
      sizeBytes: this.sizeBytes,
      sha256: actual,
      attempts,
      path: sink.finalPath,
    };
    this.emit({ type: "complete", ...result });
    return result;
  }
}

function durationMs(duration: Duration | undefined): number | undefined {
  return duration ? duration.seconds * 1000 + Math.round(duration.nanos / 1e6) : undefined;
}
