import type { ServerWritableStream } from "@grpc/grpc-js";

/**
 * Writes to a server stream with a bounded number of messages in flight: a write resolves
 * once the oldest outstanding message has been handed to HTTP/2, so a reader that stops
 * reading stops us (and, upstream, the storage read). Rejects as soon as `signal` aborts.
 */
export class ResponseWriter<T> {
  private readonly inFlight: Array<Promise<void>> = [];
  private readonly aborted: Promise<never>;

  constructor(
    private readonly call: ServerWritableStream<unknown, T>,
    private readonly signal: AbortSignal,
    private readonly maxInFlight: number,
  ) {
    this.aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(signal.reason as Error);
      if (signal.aborted) fail();
      else signal.addEventListener("abort", fail, { once: true });
    });
    this.aborted.catch(() => undefined);
  }

  async write(message: T): Promise<void> {
    this.signal.throwIfAborted();
    this.inFlight.push(new Promise<void>((resolve) => this.call.write(message, () => resolve())));
    while (this.inFlight.length > this.maxInFlight) {
      await Promise.race([this.inFlight.shift(), this.aborted]);
    }
  }

  /** Waits until every message written so far has been handed on. */
  async flush(): Promise<void> {
    while (this.inFlight.length > 0) await Promise.race([this.inFlight.shift(), this.aborted]);
  }
}
