import type { ByteRange, ObjectStore } from "./object-store";
import { StorageUnavailableError } from "./storage-errors";

export interface ReadRangeOptions {
  /** Consecutive broken reads tolerated; each re-opens the object at the next offset. */
  readonly resumeAttempts: number;
  readonly pieceBytes?: number;
  readonly signal?: AbortSignal;
  /** Told each time a broken read is re-opened, with the offset it resumes from. */
  readonly onResume?: (offset: number, cause: unknown) => void;
}

/**
 * The bytes of one range, as they come. A read that breaks (or ends early) part way is re-opened
 * from the next offset, so the consumer sees one unbroken sequence. Pull-based: nothing is read
 * ahead of the consumer beyond the storage stream's own buffer, and leaving the loop closes it.
 */
export async function* readRange(
  store: ObjectStore,
  key: string,
  range: ByteRange,
  options: ReadRangeOptions,
): AsyncGenerator<Buffer, void, undefined> {
  const end = range.offset + range.length;
  let offset = range.offset;
  let failures = 0;
  while (offset < end) {
    options.signal?.throwIfAborted();
    const stream = await store.read(key, { offset, length: end - offset }, options.pieceBytes);
    try {
      // Leaving the loop early must not destroy the stream with an AbortError (a stack trace per
      // download); the finally below closes it either way.
      for await (const piece of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        const part = offset + piece.length > end ? piece.subarray(0, end - offset) : piece;
        offset += part.length;
        failures = 0;
        yield part;
        if (offset >= end) break;
      }
      if (offset < end) throw new Error(`storage stream ended early at ${offset}`);
    } catch (error) {
      if (options.signal?.aborted || error instanceof StorageUnavailableError) throw error;
      failures += 1;
      if (failures > options.resumeAttempts) {
        throw new StorageUnavailableError("storage read broke", 1_000, { cause: error });
      }
      options.onResume?.(offset, error);
    } finally {
      stream.destroy();
    }
  }
}
