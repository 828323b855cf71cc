import type { Hash } from "node:crypto";

/** Where downloadFile puts bytes: a .part file (PartFile) or a caller's Writable (WritableSink). */
export interface DownloadSink {
  /** Bytes already held: the offset the next attempt resumes from. */
  readonly offset: number;
  /** sha256 over the held bytes. */
  readonly hash: Hash;
  /** The whole file's sha256 the held bytes belong to ("" before the first metadata). */
  readonly expectedSha256: string;
  /** Final path, when there is one. */
  readonly finalPath: string | undefined;
  begin(sizeBytes: number, sha256: string): Promise<void>;
  append(data: Uint8Array): Promise<void>;
  /** Called only after the bytes are verified. */
  commit(): Promise<void>;
  /** Forget the held bytes (file changed, or verification failed); false when that is impossible. */
  reset(): Promise<boolean>;
  close(): Promise<void>;
}
