import { setMaxListeners } from "node:events";
import type { Logger } from "winston";
import { failActiveSpan, linkToJob, rememberJobSpan, tracer } from "../observability/spans";
import type { ObjectInfo } from "../storage/object-store";
import { Job } from "./job";
import type { PrepareFile } from "./prepare-file";
import type { PreparedRecords } from "./prepared-records";

export interface JobRegistryOptions {
  readonly prepare: PrepareFile;
  readonly records: PreparedRecords;
  readonly maxConcurrentJobs: number;
  /** Mean processing time, for the ETA of queued jobs. */
  readonly expectedProcessingMs: number;
  readonly logger: Logger;
  /** A caller joined a job already running (deduplicated work). */
  readonly onJobJoin?: (job: Job) => void;
  readonly onJobEnd?: (job: Job, outcome: "ready" | "failed") => void;
}

export interface JoinedJob {
  readonly job: Job;
  /** False for the caller that started the job. */
  readonly joined: boolean;
}

/**
 * Jobs keyed by file id: every concurrent caller for one file joins the same job (singleflight).
 * At most maxConcurrentJobs process at once; the rest wait, in order, as queued.
 */
export class JobRegistry {
  private readonly jobs = new Map<number, Job>();
  private readonly waiting: Job[] = [];
  private readonly slotWaiters = new Map<Job, () => void>();
  private running = 0;
  private readonly lifetime = new AbortController();

  constructor(private readonly options: JobRegistryOptions) {
    // Every running job listens on this one signal; more than 10 is normal, not a leak.
    setMaxListeners(0, this.lifetime.signal);
  }

  /** Jobs queued or processing. */
  get size(): number {
    return this.jobs.size;
  }

  get counts(): { queued: number; processing: number } {
    return { queued: this.waiting.length, processing: this.running };
  }

  /** How long the longest-running processing job has been at it (0 when none). */
  get oldestProcessingMs(): number {
    let oldest = 0;
    for (const job of this.jobs.values()) {
      if (job.phase === "processing") oldest = Math.max(oldest, job.processingMs);
    }
    return oldest;
  }

  /** Whether a job for this file is queued or processing (its caller would join it). */
  has(fileId: number): boolean {
    return this.jobs.has(fileId);
  }

  join(fileId: number, info: ObjectInfo): JoinedJob {
    const existing = this.jobs.get(fileId);
    if (existing) {
      linkToJob(existing, { "delineate.job_id": existing.id, "delineate.file_id": fileId });
      this.options.onJobJoin?.(existing);
      return { job: existing, joined: true };
    }
    if (this.lifetime.signal.aborted) throw new Error("job registry is closed");
    const job = new Job(fileId, info, (j) => this.queuedEstimate(j));
    this.jobs.set(fileId, job);
    // With a free slot the job starts processing before join returns, so its first status says so.
    void this.run(job, this.tryAcquireSlot());
    return { job, joined: false };
  }

  /** Stops every job (process shutdown); their callers see the failure. */
  close(): void {
    this.lifetime.abort(new Error("server shutting down"));
    for (const release of [...this.slotWaiters.values()]) release();
    this.waiting.length = 0;
  }

  /** The job's span covers queueing and processing; it is a child of the caller that started it. */
  private run(job: Job, hasSlot: boolean): Promise<void> {
    const attributes = {
      "delineate.job_id": job.id,
      "delineate.file_id": job.fileId,
      "delineate.size_bytes": job.info.size,
    };
    return tracer.startActiveSpan("delineate.job", { attributes }, async (span) => {
      rememberJobSpan(job, span);
      try {
        await this.process(job, hasSlot);
      } finally {
        span.end();
      }
    });
  }

  private async process(job: Job, hasSlot: boolean): Promise<void> {
    const { logger } = this.options;
    const signal = this.lifetime.signal;
    if (!hasSlot) {
      try {
        await this.waitForSlot(job);
      } catch (error) {
        this.end(job, error);
        return;
      }
    }
    logger.info("job started", { job_id: job.id, file_id: job.fileId, size_bytes: job.info.size });
    try {
      const record = await this.options.prepare(job, signal);
      // Remembered before the job leaves the map: a new caller either joins or finds the record.
      await this.options.records.save(record);
      logger.info("job ready", { job_id: job.id, file_id: job.fileId, processing_ms: record.processingMs });
      this.jobs.delete(job.fileId);
      job.finish(record);
      this.options.onJobEnd?.(job, "ready");
    } catch (error) {
      this.end(job, error);
    } finally {
      this.releaseSlot();
    }
  }

  private end(job: Job, error: unknown): void {
    this.options.logger.warn("job failed", { job_id: job.id, file_id: job.fileId, error });
    failActiveSpan(error);
    this.jobs.delete(job.fileId);
    job.fail(error);
    this.options.onJobEnd?.(job, "failed");
  }

  private tryAcquireSlot(): boolean {
    if (this.running >= this.options.maxConcurrentJobs) return false;
    this.running += 1;
    return true;
  }

  private waitForSlot(job: Job): Promise<void> {
    this.waiting.push(job);
    return new Promise<void>((resolve, reject) => {
      this.slotWaiters.set(job, () => {
        this.slotWaiters.delete(job);
        if (this.lifetime.signal.aborted) reject(this.lifetime.signal.reason as Error);
        else resolve();
      });
    });
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) this.slotWaiters.get(next)?.();
    else this.running -= 1;
  }

  private queuedEstimate(job: Job): { etaMs: number; ahead: number } {
    const ahead = Math.max(0, this.waiting.indexOf(job));
    const rounds = Math.floor(ahead / this.options.maxConcurrentJobs) + 1;
    return { etaMs: Math.round(rounds * this.options.expectedProcessingMs), ahead };
  }
}
