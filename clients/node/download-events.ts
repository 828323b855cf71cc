import type { DownloadPhase } from "../../src/gen/delineate/v1/download_service";

/** Every event of one downloadFile call, in order; `fileId` lets one handler serve many downloads. */
export type DownloadEvent =
  | {
      readonly type: "status";
      readonly fileId: number;
      readonly phase: DownloadPhase;
      readonly progressPercent: number;
      /** Server's estimate of the processing time left; undefined when it gave none. */
      readonly etaMs: number | undefined;
      readonly jobId: string;
      readonly joinedExistingJob: boolean;
      readonly message: string;
    }
  | {
      readonly type: "metadata";
      readonly fileId: number;
      readonly sizeBytes: number;
      readonly sha256: string;
      readonly contentType: string;
      readonly readOffset: number;
    }
  | {
      readonly type: "progress";
      readonly fileId: number;
      /** Bytes of the file held so far (the resume offset), including those from earlier attempts. */
      readonly bytes: number;
      readonly totalBytes: number;
      readonly bytesPerSecond: number;
      readonly etaMs: number | undefined;
    }
  | {
      readonly type: "retry";
      readonly fileId: number;
      /** 1 for the first retry. */
      readonly attempt: number;
      readonly delayMs: number;
      /** What ended the attempt: a gRPC status name or "IDLE" for the watchdog. */
      readonly reason: string;
      readonly detail: string;
      readonly resumeOffset: number;
    }
  | {
      readonly type: "resume";
      readonly fileId: number;
      /** A .part file from an earlier run was found, re-hashed and will be continued. */
      readonly offset: number;
    }
  | {
      readonly type: "complete";
      readonly fileId: number;
      readonly sizeBytes: number;
      readonly sha256: string;
      readonly attempts: number;
      /** Final path, when the destination was a path. */
      readonly path: string | undefined;
    };

export type DownloadEventHandler = (event: DownloadEvent) => void;
