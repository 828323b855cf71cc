import { Metadata, type handleServerStreamingCall, type ServerWritableStream } from "@grpc/grpc-js";
import {
  DownloadPhase,
  type DownloadRequest,
  type DownloadResponse,
} from "../gen/delineate/v1/download_service";
import type { PreparedRecord } from "../jobs/prepared-record";
import { fileKey } from "../storage/keys";
import type { ObjectInfo } from "../storage/object-store";
import { readRange } from "../storage/read-range";
import { PreparationFailedError, StorageUnavailableError } from "../storage/storage-errors";
import type { ActiveDownload } from "./active-downloads";
import { rechunk } from "./rechunk";
import { failStream } from "./respond";
import { ResponseWriter } from "./response-writer";
import { FailedPreconditionError, NotFoundError, OutOfRangeError, UnavailableError } from "./service-errors";
import type { ServiceDeps } from "./service-deps";
import { durationFromMs, jobStatusResponse, statusResponse } from "./status-message";
import { validateDownloadRequest, type DownloadArgs } from "./validate-request";

const CONTENT_TYPE = "application/zip";
/** Messages handed to HTTP/2 but not yet sent: bounds memory per stream to a few chunks. */
const MAX_IN_FLIGHT = 4;

/** The caller went away (cancel, deadline, reset): stop the stream, never the job. */
class CallEnded extends Error {}

type Call = ServerWritableStream<DownloadRequest, DownloadResponse>;

/**
 * Download: status at once and on every heartbeat while the file is prepared, then READY,
 * metadata, chunks from read_offset, and a completion record with the whole file's sha256.
 */
export function createDownloadHandler(
  deps: ServiceDeps,
): handleServerStreamingCall<DownloadRequest, DownloadResponse> {
  const { config, store, records, jobs, downloads, logger } = deps;

  return (call) => {
    void download(call);
  };

  async function download(call: Call): Promise<void> {
    const controller = new AbortController();
    const onCancelled = () => controller.abort(new CallEnded("call cancelled"));
    call.once("cancelled", onCancelled);
    let active: ActiveDownload | undefined;
    try {
      const args = validateDownloadRequest(call.request, config.chunkSizeBytes);
      active = downloads.open(deps.clientId(call.metadata, call.getPeer()), controller);
      // A cancelled caller stops waiting on storage at once (the call itself ends by its timeout).
      const info = await untilAborted(store.stat(fileKey(args.fileId)), controller.signal);
      if (!info) throw new NotFoundError(`file ${args.fileId} not found`);
      const range = byteRange(args, info.size);
      active.nextOffset = range.offset;
      const writer = new ResponseWriter(call, controller.signal, MAX_IN_FLIGHT);
      // A running job means no usable record yet (it is saved just before the job leaves the registry).
      const known = jobs.has(args.fileId)
        ? undefined
        : await untilAborted(records.find(args.fileId, info), controller.signal);
      call.sendMetadata(new Metadata());
      const { record, jobId, joined } = known
        ? { record: known, jobId: "", joined: false }
        : await followJob(writer, controller.signal, info, args.fileId);
      if (args.ifSha256 !== undefined && args.ifSha256 !== record.sha256) {
        throw new FailedPreconditionError(
          "the file's sha256 differs from if_sha256: it changed, start again from 0",
        );
      }
      active.stage = "sending";
      await sendFile(writer, active, args, record, range, jobId, joined, controller.signal);
      await writer.flush();
      call.end();
    } catch (error) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
      if (reason instanceof CallEnded) return;
      if (reason instanceof UnavailableError && active) {
        // Draining: say so in-band too, with where to resume, then end UNAVAILABLE.
        call.write(
          statusResponse({
            phase: DownloadPhase.DOWNLOAD_PHASE_DRAINING,
            progressPercent: active.stage === "sending" ? 100 : 0,
            estimatedRemainingMs: 0,
            message: reason.message,
            jobId: "",
            joinedExistingJob: false,
          }),
        );
      }
      failStream(logger, call, reason);
    } finally {
      call.off("cancelled", onCancelled);
      // The stream counts as open until its status is handed on: shutdown waits for that.
      if (active) {
        await untilFinished(call);
        downloads.close(active);
      }
    }
  }

  /** Sends a status at once, on every phase change and every heartbeat, until the job is done. */
  async function followJob(
    writer: ResponseWriter<DownloadResponse>,
    signal: AbortSignal,
    info: ObjectInfo,
    fileId: number,
  ): Promise<{ record: PreparedRecord; jobId: string; joined: boolean }> {
    const { job, joined } = jobs.join(fileId, info);
    const sendStatus = () => {
      if (job.phase === "queued" || job.phase === "processing") {
        writer.write(jobStatusResponse(job.snapshot(), job.id, joined)).catch(() => undefined);
      }
    };
    sendStatus();
    const heartbeat = setInterval(sendStatus, config.heartbeatIntervalMs);
    const unsubscribe = job.onPhaseChange(sendStatus);
    try {
      const record = await untilAborted(job.result, signal).catch((error: unknown) => {
        throw error instanceof StorageUnavailableError && !signal.aborted
          ? new PreparationFailedError(fileId, error)
          : error;
      });
      return { record, jobId: job.id, joined };
    } finally {
      clearInterval(heartbeat);
      unsubscribe();
    }
  }

  async function sendFile(
    writer: ResponseWriter<DownloadResponse>,
    active: ActiveDownload,
    args: DownloadArgs,
    record: PreparedRecord,
    range: { offset: number; length: number },
    jobId: string,
    joined: boolean,
    signal: AbortSignal,
  ): Promise<void> {
    await writer.write(
      statusResponse({
        phase: DownloadPhase.DOWNLOAD_PHASE_READY,
        progressPercent: 100,
        estimatedRemainingMs: 0,
        message: "file ready",
        jobId,
        joinedExistingJob: joined,
      }),
    );
    await writer.write({
      event: {
        $case: "metadata",
        value: {
          fileId: args.fileId,
          sizeBytes: record.sizeBytes,
          sha256: record.sha256,
          contentType: CONTENT_TYPE,
          readOffset: range.offset,
          contentLength: range.length,
        },
      },
    });
    if (range.length > 0) {
      const pieces = readRange(store, fileKey(args.fileId), range, {
        resumeAttempts: config.storagePolicy.readResumeAttempts,
        pieceBytes: args.chunkSizeBytes,
        signal,
        onResume: (offset, cause) =>
          logger.warn("storage read resumed", { file_id: args.fileId, offset, cause }),
      });
      for await (const data of rechunk(pieces, args.chunkSizeBytes)) {
        const offset = active.nextOffset;
        // Counted once handed to the writer: a queued chunk still reaches the client if we drain.
        active.nextOffset += data.length;
        await writer.write({ event: { $case: "chunk", value: { offset, data } } });
      }
    }
    await writer.write({
      event: {
        $case: "complete",
        value: {
          bytesSent: range.length,
          sha256: record.sha256,
          processingDuration: durationFromMs(record.processingMs),
        },
      },
    });
  }
}

/** OUT_OF_RANGE is decided from the stat, before any message is sent. */
function byteRange(args: DownloadArgs, size: number): { offset: number; length: number } {
  if (args.readOffset > size) {
    throw new OutOfRangeError(`read_offset ${args.readOffset} is beyond the file's ${size} bytes`);
  }
  if (args.readLimit > 0 && args.readOffset + args.readLimit > size) {
    throw new OutOfRangeError(
      `read_offset + read_limit (${args.readOffset + args.readLimit}) exceeds the file's ${size} bytes`,
    );
  }
  return { offset: args.readOffset, length: args.readLimit > 0 ? args.readLimit : size - args.readOffset };
}

function untilFinished(call: Call): Promise<void> {
  if (call.cancelled || call.writableFinished) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      call.off("finish", done).off("close", done).off("cancelled", done);
      resolve();
    };
    call.once("finish", done).once("close", done).once("cancelled", done);
  });
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
