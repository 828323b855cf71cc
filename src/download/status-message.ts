import { DownloadPhase, type DownloadResponse } from "../gen/delineate/v1/download_service";
import type { Duration } from "../gen/google/protobuf/duration";
import type { JobPhase, JobSnapshot } from "../jobs/job";

const PHASES: Record<JobPhase, DownloadPhase> = {
  queued: DownloadPhase.DOWNLOAD_PHASE_QUEUED,
  processing: DownloadPhase.DOWNLOAD_PHASE_PROCESSING,
  ready: DownloadPhase.DOWNLOAD_PHASE_READY,
  failed: DownloadPhase.DOWNLOAD_PHASE_UNSPECIFIED,
};

export function toDownloadPhase(phase: JobPhase): DownloadPhase {
  return PHASES[phase];
}

export function durationFromMs(ms: number): Duration {
  const whole = Math.max(0, Math.round(ms));
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 };
}

export interface StatusFields {
  readonly phase: DownloadPhase;
  readonly progressPercent: number;
  readonly estimatedRemainingMs: number;
  readonly message: string;
  readonly jobId: string;
  readonly joinedExistingJob: boolean;
}

export function statusResponse(fields: StatusFields): DownloadResponse {
  return {
    event: {
      $case: "status",
      value: {
        phase: fields.phase,
        progressPercent: fields.progressPercent,
        estimatedRemaining: durationFromMs(fields.estimatedRemainingMs),
        jobId: fields.jobId,
        joinedExistingJob: fields.joinedExistingJob,
        message: fields.message,
      },
    },
  };
}

export function jobStatusResponse(snapshot: JobSnapshot, jobId: string, joined: boolean): DownloadResponse {
  return statusResponse({
    phase: toDownloadPhase(snapshot.phase),
    progressPercent: snapshot.progressPercent,
    estimatedRemainingMs: snapshot.estimatedRemainingMs,
    message: snapshot.message,
    jobId,
    joinedExistingJob: joined,
  });
}
