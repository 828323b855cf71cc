import { createHash } from "node:crypto";
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../config/config";
import { inSpan } from "../observability/spans";
import { fileKey } from "../storage/keys";
import type { ObjectStore } from "../storage/object-store";
import { readRange } from "../storage/read-range";
import type { Job } from "./job";
import type { PreparedRecord } from "./prepared-record";

export type PrepareFile = (job: Job, signal: AbortSignal) => Promise<PreparedRecord>;

export interface PrepareFileDeps {
  readonly store: ObjectStore;
  readonly delay: Config["delay"];
  readonly resumeAttempts: number;
  /** For tests; uniform in [0, 1). */
  readonly random?: () => number;
  /** Told once per sha256 scan (the benchmarks count scans). */
  readonly onScan?: (fileId: number) => void;
}

const SCAN_PIECE_BYTES = 1024 * 1024;

/**
 * Processing: the simulated delay (uniform in [min, max]) and one streaming sha256 scan of the
 * object, side by side. The job is ready when both are done.
 */
export function createPrepareFile(deps: PrepareFileDeps): PrepareFile {
  const random = deps.random ?? Math.random;
  return async (job, signal) => {
    const { min, max } = { min: deps.delay.minMs, max: deps.delay.maxMs };
    const delayMs = deps.delay.enabled ? Math.round(min + random() * (max - min)) : 0;
    job.startProcessing(delayMs);
    // Start the scan's storage work on a later turn: the caller's first status (sent right after
    // join) goes out first, even when hundreds of jobs start in one burst.
    await yieldToEventLoop();
    signal.throwIfAborted();
    // If one half fails, the other is stopped too (no delay timer or storage read left running).
    const both = new AbortController();
    const stop = () => both.abort(signal.reason);
    signal.addEventListener("abort", stop, { once: true });
    let sha256: string;
    try {
      [sha256] = await Promise.all([
        inSpan(
          "delineate.sha256_scan",
          { "delineate.file_id": job.fileId, "delineate.size_bytes": job.info.size },
          () => scan(job, both.signal),
        ),
        delayMs > 0 ? sleep(delayMs, undefined, { signal: both.signal }) : undefined,
      ]);
    } catch (error) {
      both.abort(error);
      throw error;
    } finally {
      signal.removeEventListener("abort", stop);
    }
    return {
      fileId: job.fileId,
      sizeBytes: job.info.size,
      sha256,
      etag: job.info.etag,
      preparedAt: new Date().toISOString(),
      processingMs: Math.round(job.processingMs),
    };
  };

  async function scan(job: Job, signal: AbortSignal): Promise<string> {
    deps.onScan?.(job.fileId);
    const hash = createHash("sha256");
    if (job.info.size > 0) {
      const pieces = readRange(
        deps.store,
        fileKey(job.fileId),
        { offset: 0, length: job.info.size },
        {
          resumeAttempts: deps.resumeAttempts,
          pieceBytes: SCAN_PIECE_BYTES,
          signal,
        },
      );
      for await (const piece of pieces) {
        hash.update(piece);
        job.addScanned(piece.length);
      }
    }
    return hash.digest("hex");
  }
}
