import type { Readable } from "node:stream";
import type { ByteRange, ObjectInfo, ObjectStore } from "./object-store";
import { isStorageFailure } from "./storage-errors";

export interface FailoverOptions {
  /** How often an endpoint marked down is pinged; a success puts it back in front. */
  readonly probeIntervalMs: number;
  /** A call still unanswered after this long marks its endpoint down (the call itself goes on). */
  readonly slowAfterMs: number;
  /** Told whenever the endpoint in use changes (index into the list, 0 = primary). */
  readonly onSwitch?: (index: number) => void;
}

/**
 * Several copies of the same bucket (primary first). Each call goes to the first endpoint not
 * marked down; a failure marks it down and the call moves on to the next. Endpoints marked down
 * are probed in the background and rejoin, in priority order, as soon as they answer.
 * Retries and the breaker sit outside (ResilientObjectStore): they see one store that fails only
 * when every endpoint does. The copies must give the same etag for the same bytes (prepared
 * records are keyed by it): true of S3-compatible servers for single-part uploads (MD5).
 */
export class FailoverObjectStore implements ObjectStore {
  readonly driver: ObjectStore["driver"];
  private readonly down: boolean[];
  private probe: NodeJS.Timeout | undefined;
  private probing = false;
  private inUse = 0;
  private closed = false;

  constructor(
    private readonly stores: readonly ObjectStore[],
    private readonly options: FailoverOptions,
  ) {
    const [first] = stores;
    if (!first) throw new RangeError("failover needs at least one store");
    this.driver = first.driver;
    this.down = stores.map(() => false);
  }

  /** Index of the endpoint calls go to now. */
  get activeIndex(): number {
    const index = this.down.indexOf(false);
    return index === -1 ? 0 : index;
  }

  stat(key: string): Promise<ObjectInfo | undefined> {
    return this.call((store) => store.stat(key));
  }

  /** Opening fails over; a break mid-stream is re-opened by read-range.ts, at the endpoint then in use. */
  read(key: string, range: ByteRange, pieceBytes?: number): Promise<Readable> {
    return this.call((store) => store.read(key, range, pieceBytes));
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.call((store) => store.get(key));
  }

  /** Writes go to one copy only: prepared records are a cache, recomputed where missing. */
  put(key: string, body: Buffer, contentType: string): Promise<void> {
    return this.call((store) => store.put(key, body, contentType));
  }

  ping(): Promise<void> {
    return this.call((store) => store.ping());
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.probe);
    this.probe = undefined;
    await Promise.all(this.stores.map((store) => store.close()));
  }

  private async call<T>(fn: (store: ObjectStore) => Promise<T>): Promise<T> {
    // Healthy endpoints in priority order; when all are down, try them all anyway.
    const healthy = this.stores.map((_, i) => i).filter((i) => !this.down[i]);
    const order = healthy.length > 0 ? healthy : this.stores.map((_, i) => i);
    let lastError: unknown;
    for (const index of order) {
      try {
        return await this.attempt(index, fn);
      } catch (error) {
        if (!isStorageFailure(error)) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  private async attempt<T>(index: number, fn: (store: ObjectStore) => Promise<T>): Promise<T> {
    const store = this.stores[index]!;
    const slow = setTimeout(() => this.markDown(index), this.options.slowAfterMs);
    try {
      const result = await fn(store);
      this.markUp(index);
      return result;
    } catch (error) {
      this.markDown(index);
      throw error;
    } finally {
      clearTimeout(slow);
    }
  }

  private markDown(index: number): void {
    if (this.down[index] || this.closed) return;
    this.down[index] = true;
    this.changed();
    this.probe ??= setInterval(() => void this.probeDown(), this.options.probeIntervalMs);
  }

  private markUp(index: number): void {
    if (!this.down[index]) return;
    this.down[index] = false;
    this.changed();
    if (!this.down.includes(true)) {
      clearInterval(this.probe);
      this.probe = undefined;
    }
  }

  private changed(): void {
    const now = this.activeIndex;
    if (now !== this.inUse) {
      this.inUse = now;
      this.options.onSwitch?.(now);
    }
  }

  /** One probe round at a time: a hanging endpoint must not pile up pings. */
  private async probeDown(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      await Promise.all(
        this.down.flatMap((isDown, index) =>
          isDown
            ? [
                this.stores[index]!.ping().then(
                  () => this.markUp(index),
                  () => undefined,
                ),
              ]
            : [],
        ),
      );
    } finally {
      this.probing = false;
    }
  }
}
