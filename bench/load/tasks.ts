/** What a load process can be asked to do; each runs in a fresh process (see load-process.ts). */
export type LoadTask =
  | {
      readonly kind: "grpc-download";
      readonly address: string;
      readonly fileId: number;
      readonly chunkSizeBytes: number;
      readonly window: number;
      readonly expectBytes: number;
    }
  | { readonly kind: "http2-download"; readonly port: number; readonly window: number }
  | { readonly kind: "file-read"; readonly path: string; readonly pieceBytes: number }
  | { readonly kind: "s3-put"; readonly endpoint: string; readonly key: string; readonly path: string }
  | { readonly kind: "s3-get"; readonly endpoint: string; readonly key: string }
  | { readonly kind: "prepare"; readonly address: string; readonly fileIds: readonly number[] }
  | {
      readonly kind: "slow-download";
      readonly address: string;
      readonly fileId: number;
      readonly bytesPerSecond: number;
    }
  | {
      readonly kind: "waiting-streams";
      readonly address: string;
      readonly fileIds: readonly number[];
      readonly channels: number;
      readonly holdMs: number;
      readonly heartbeatMs: number;
    }
  | { readonly kind: "dedup"; readonly address: string; readonly fileId: number; readonly streams: number }
  | {
      readonly kind: "first-status";
      readonly address: string;
      readonly fileIds: readonly number[];
      readonly warmupFileIds: readonly number[];
      readonly channels: number;
    }
  | {
      readonly kind: "small-downloads";
      readonly address: string;
      readonly chunkSizeBytes: number;
      readonly fileIds: readonly number[];
      readonly concurrency: number;
      readonly channels: number;
      readonly durationMs: number;
      readonly expectBytes: number;
    };

export interface TransferResult {
  readonly bytes: number;
  readonly ms: number;
  /** The load process's own CPU time during the transfer. */
  readonly clientCpuMs?: number;
  /** The server's CPU time during the transfer (filled in by the runner). */
  readonly serverCpuMs?: number;
}

export interface WaitingStreamsResult {
  readonly opened: number;
  /** Streams that saw a status within the first heartbeat interval. */
  readonly waiting: number;
  /** How long after opening the last stream got its first status. */
  readonly allWaitingAfterMs: number;
  readonly heartbeats: number;
  readonly latenessP50Ms: number;
  readonly latenessP99Ms: number;
  readonly latenessMaxMs: number;
  readonly failed: number;
}

export interface DedupResult {
  readonly ok: number;
  readonly jobIds: string[];
  readonly sha256s: string[];
  readonly joined: number;
}

export interface FirstStatusResult {
  readonly streams: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly missing: number;
}

export interface SmallDownloadsResult {
  readonly completed: number;
  readonly failed: number;
  readonly ms: number;
}
