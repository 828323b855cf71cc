import { createHash, type Hash } from "node:crypto";
import { once } from "node:events";
import type { Writable } from "node:stream";
import type { DownloadSink } from "./download-sink";

/**
 * A caller's Writable. Resuming works within the call (the stream keeps what it got); across
 * processes only a path destination can resume. The Writable is not ended: it is the caller's.
 */
export class WritableSink implements DownloadSink {
  offset = 0;
  hash: Hash = createHash("sha256");
  expectedSha256 = "";
  readonly finalPath = undefined;

  constructor(private readonly writable: Writable) {}

  begin(_sizeBytes: number, sha256: string): Promise<void> {
    this.expectedSha256 = sha256;
    return Promise.resolve();
  }

  async append(data: Uint8Array): Promise<void> {
    this.hash.update(data);
    this.offset += data.length;
    // Backpressure: a slow consumer pauses the gRPC stream instead of growing a buffer.
    if (!this.writable.write(data)) await once(this.writable, "drain");
  }

  commit(): Promise<void> {
    return Promise.resolve();
  }

  reset(): Promise<boolean> {
    // Bytes already handed to someone else cannot be taken back.
    if (this.offset > 0) return Promise.resolve(false);
    this.expectedSha256 = "";
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
