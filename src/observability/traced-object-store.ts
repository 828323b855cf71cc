import type { Readable } from "node:stream";
import type { ByteRange, ObjectInfo, ObjectStore } from "../storage/object-store";
import { inSpan } from "./spans";

/**
 * A span per storage attempt (it sits under the resilience policy, so retries show as
 * separate spans). Keys name files by id only; they are safe as attributes.
 */
export class TracedObjectStore implements ObjectStore {
  readonly driver: ObjectStore["driver"];

  constructor(private readonly inner: ObjectStore) {
    this.driver = inner.driver;
  }

  private span<T>(operation: string, key: string | undefined, work: () => Promise<T>): Promise<T> {
    return inSpan(
      `storage.${operation}`,
      {
        "storage.driver": this.driver,
        "storage.operation": operation,
        ...(key ? { "storage.key": key } : {}),
      },
      work,
    );
  }

  stat(key: string): Promise<ObjectInfo | undefined> {
    return this.span("stat", key, () => this.inner.stat(key));
  }

  /** The span covers opening the stream; the bytes flow afterwards under the caller's span. */
  read(key: string, range: ByteRange, pieceBytes?: number): Promise<Readable> {
    return this.span("read", key, () => this.inner.read(key, range, pieceBytes));
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.span("get", key, () => this.inner.get(key));
  }

  put(key: string, body: Buffer, contentType: string): Promise<void> {
    return this.span("put", key, () => this.inner.put(key, body, contentType));
  }

  ping(): Promise<void> {
    return this.span("ping", undefined, () => this.inner.ping());
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
