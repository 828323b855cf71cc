import type { Readable } from "node:stream";
import {
  BrokenCircuitError,
  type CircuitState,
  ConsecutiveBreaker,
  IterableBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IDefaultPolicyContext,
  type IPolicy,
  type IRetryContext,
} from "cockatiel";
import type { StoragePolicyConfig } from "../config/config";
import type { ByteRange, ObjectInfo, ObjectStore } from "../storage/object-store";
import { isStorageFailure, StorageUnavailableError } from "../storage/storage-errors";

/** What a caller is told to wait after retries ran out (the breaker gives its own figure). */
const RETRY_AFTER_EXHAUSTED_MS = 1_000;

export type StorageOperation = "stat" | "read" | "get" | "put" | "ping";

export interface StoragePolicyEvents {
  onRetry?(operation: StorageOperation): void;
  onCircuitStateChange?(state: CircuitState): void;
  onCall?(operation: StorageOperation, outcome: "ok" | "error", seconds: number): void;
}

/**
 * Every storage call goes through here: retry (first attempt at once, then the configured waits),
 * a consecutive-failure circuit breaker, and a per-call timeout. With the breaker open, calls fail
 * at once without touching storage. Failures surface as StorageUnavailableError.
 */
export class ResilientObjectStore implements ObjectStore {
  readonly driver: ObjectStore["driver"];
  private readonly policy: IPolicy<IRetryContext & IDefaultPolicyContext>;
  private readonly breaker;
  private openedAt = 0;

  constructor(
    private readonly inner: ObjectStore,
    private readonly config: StoragePolicyConfig,
    /** Each listener set is told of every event (metrics, storage health). */
    private readonly listeners: readonly StoragePolicyEvents[] = [],
  ) {
    this.driver = inner.driver;
    this.breaker = circuitBreaker(handleWhen(isStorageFailure), {
      halfOpenAfter: config.breakerHalfOpenAfterMs,
      breaker: new ConsecutiveBreaker(config.breakerThreshold),
    });
    this.breaker.onBreak(() => {
      this.openedAt = Date.now();
    });
    this.breaker.onStateChange((state) => listeners.forEach((l) => l.onCircuitStateChange?.(state)));
    // An open breaker is an answer, not a failure to retry.
    const retryPolicy = retry(
      handleWhen((error) => isStorageFailure(error) && !(error instanceof BrokenCircuitError)),
      { maxAttempts: config.retryDelaysMs.length, backoff: new IterableBackoff(config.retryDelaysMs) },
    );
    // abortOnReturn off: aborting each finished call's signal costs a DOMException and an event per call,
    // and nothing listens to it then (a timed-out call's signal is still aborted by the timer).
    const timeoutPolicy = timeout(config.timeoutMs, {
      strategy: TimeoutStrategy.Aggressive,
      abortOnReturn: false,
    });
    this.policy = wrap(retryPolicy, this.breaker, timeoutPolicy);
  }

  get circuitState(): CircuitState {
    return this.breaker.state;
  }

  private async call<T>(operation: StorageOperation, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      // A signal per call: without one cockatiel hangs every call's listener on one shared signal.
      const result = await this.policy.execute(({ signal, attempt }) => {
        if (attempt > 0) this.listeners.forEach((l) => l.onRetry?.(operation));
        return fn(signal);
      }, new AbortController().signal);
      this.tellCall(operation, "ok", started);
      return result;
    } catch (error) {
      this.tellCall(operation, "error", started);
      throw this.unavailable(operation, error);
    }
  }

  private tellCall(operation: StorageOperation, outcome: "ok" | "error", started: number): void {
    const seconds = (performance.now() - started) / 1000;
    for (const listener of this.listeners) listener.onCall?.(operation, outcome, seconds);
  }

  private unavailable(operation: StorageOperation, error: unknown): Error {
    if (error instanceof StorageUnavailableError || !isStorageFailure(error)) return error as Error;
    if (error instanceof BrokenCircuitError) {
      const retryAfter = Math.max(0, this.openedAt + this.config.breakerHalfOpenAfterMs - Date.now());
      return new StorageUnavailableError(`storage circuit open (${operation})`, retryAfter, { cause: error });
    }
    const reason = error instanceof TaskCancelledError ? "timed out" : "failed";
    return new StorageUnavailableError(`storage ${operation} ${reason}`, RETRY_AFTER_EXHAUSTED_MS, {
      cause: error,
    });
  }

  stat(key: string): Promise<ObjectInfo | undefined> {
    return this.call("stat", () => this.inner.stat(key));
  }

  /** Opening the stream is guarded; a break mid-stream is handled by the reader (read-range.ts). */
  read(key: string, range: ByteRange, pieceBytes?: number): Promise<Readable> {
    return this.call("read", (signal) => {
      const opening = this.inner.read(key, range, pieceBytes);
      // With an aggressive timeout the attempt is abandoned; close a stream that opens late.
      void opening.then(
        (stream) => signal.aborted && stream.destroy(),
        () => undefined,
      );
      return opening;
    });
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.call("get", () => this.inner.get(key));
  }

  put(key: string, body: Buffer, contentType: string): Promise<void> {
    return this.call("put", () => this.inner.put(key, body, contentType));
  }

  ping(): Promise<void> {
    return this.call("ping", () => this.inner.ping());
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
