import { randomUUID } from "node:crypto";
import type { ObjectInfo } from "../storage/object-store";
import type { PreparedRecord } from "./prepared-record";

export type JobPhase = "queued" | "processing" | "ready" | "failed";

export interface JobSnapshot {
  readonly phase: JobPhase;
  /** 0..99 until ready, then 100; never goes down. */
  readonly progressPercent: number;
  readonly estimatedRemainingMs: number;
  readonly message: string;
}

/** Until the scan has measured its own rate, assume this (bytes per ms, ~200 MiB/s). */
const ASSUMED_SCAN_BYTES_PER_MS = (200 * 1024 * 1024) / 1000;

/**
 * The preparation of one file, shared by every caller that asks for it. It outlives its
 * callers: a caller that leaves and comes back reattaches to the same job.
 */
export class Job {
  readonly id = randomUUID();
  readonly result: Promise<PreparedRecord>;
  private resolveResult!: (record: PreparedRecord) => void;
  private rejectResult!: (error: unknown) => void;
  private phaseNow: JobPhase = "queued";
  private readonly listeners = new Set<(phase: JobPhase) => void>();
  private startedAt = 0;
  private delayMs = 0;
  private scannedBytes = 0;
  private lastPercent = 0;

  constructor(
    readonly fileId: number,
    readonly info: ObjectInfo,
    /** Estimated wait until this job starts plus its own processing; asked only while queued. */
    private readonly queuedEstimate: (job: Job) => { etaMs: number; ahead: number },
  ) {
    this.result = new Promise<PreparedRecord>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // Nobody may be waiting when a job fails; the failure is reported to those who are.
    this.result.catch(() => undefined);
  }

  get phase(): JobPhase {
    return this.phaseNow;
  }

  /** Called on every phase change; returns the unsubscribe function. */
  onPhaseChange(listener: (phase: JobPhase) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  startProcessing(delayMs: number): void {
    this.startedAt = performance.now();
    this.delayMs = delayMs;
    this.setPhase("processing");
  }

  addScanned(bytes: number): void {
    this.scannedBytes += bytes;
  }

  get processingMs(): number {
    return this.startedAt === 0 ? 0 : performance.now() - this.startedAt;
  }

  finish(record: PreparedRecord): void {
    this.resolveResult(record);
    this.setPhase("ready");
  }

  fail(error: unknown): void {
    this.rejectResult(error);
    this.setPhase("failed");
  }

  snapshot(): JobSnapshot {
    switch (this.phaseNow) {
      case "queued": {
        const { etaMs, ahead } = this.queuedEstimate(this);
        return {
          phase: "queued",
          progressPercent: 0,
          estimatedRemainingMs: etaMs,
          message: `waiting for a processing slot (${ahead} ahead)`,
        };
      }
      case "processing": {
        const eta = this.processingEtaMs();
        const elapsed = this.processingMs;
        const percent = Math.min(99, Math.floor((100 * elapsed) / Math.max(1, elapsed + eta)));
        this.lastPercent = Math.max(this.lastPercent, percent);
        return {
          phase: "processing",
          progressPercent: this.lastPercent,
          estimatedRemainingMs: eta,
          message: `preparing file (${this.lastPercent}%)`,
        };
      }
      case "ready":
        return { phase: "ready", progressPercent: 100, estimatedRemainingMs: 0, message: "file ready" };
      case "failed":
        return {
          phase: "failed",
          progressPercent: this.lastPercent,
          estimatedRemainingMs: 0,
          message: "preparation failed",
        };
    }
  }

  /** The simulated work and the sha256 scan run side by side; the slower one decides. */
  private processingEtaMs(): number {
    const elapsed = this.processingMs;
    const delayLeft = Math.max(0, this.delayMs - elapsed);
    const bytesLeft = Math.max(0, this.info.size - this.scannedBytes);
    const rate =
      this.scannedBytes > 0 && elapsed > 50 ? this.scannedBytes / elapsed : ASSUMED_SCAN_BYTES_PER_MS;
    return Math.round(Math.max(delayLeft, bytesLeft / rate));
  }

  private setPhase(phase: JobPhase): void {
    this.phaseNow = phase;
    for (const listener of [...this.listeners]) listener(phase);
  }
}
