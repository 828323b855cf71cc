import type { Readable } from "node:stream";

export interface ObjectInfo {
  readonly size: number;
  /** Changes whenever the content changes; a prepared record is trusted only for the same etag. */
  readonly etag: string;
  readonly lastModified: Date;
}

export interface ByteRange {
  readonly offset: number;
  /** > 0. */
  readonly length: number;
}

/**
 * Where files and prepared records live. Drivers: fs (a directory) and s3 (any S3-compatible
 * server). Keys come only from storage/keys.ts, built from validated integers.
 * Absence is an answer (undefined), not an error; thrown errors mean storage failed.
 */
export interface ObjectStore {
  readonly driver: "fs" | "s3";
  stat(key: string): Promise<ObjectInfo | undefined>;
  /**
   * A stream of exactly `range.length` bytes starting at `range.offset`. `pieceBytes` is a hint:
   * drivers that can (fs) emit pieces of that size, so the download path need not re-chunk.
   */
  read(key: string, range: ByteRange, pieceBytes?: number): Promise<Readable>;
  /** Whole small objects (prepared records). */
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** Succeeds when storage answers at all (used by start-up and health). */
  ping(): Promise<void>;
  /** Releases sockets and agents. */
  close(): Promise<void>;
}
