import { ResourceExhaustedError, UnavailableError } from "./service-errors";

/** How long a client told to reconnect should wait: long enough for a replacement to be up. */
export const DRAINING_RETRY_AFTER_MS = 1_000;

export interface ActiveDownload {
  readonly clientId: string;
  readonly controller: AbortController;
  /** waiting = queued or processing; sending = chunks are flowing. */
  stage: "waiting" | "sending";
  /** The offset a client should resume from if this stream ends now. */
  nextOffset: number;
}

/**
 * The Download streams in flight: enforces the per-client stream cap and lets shutdown
 * drain them (waiting streams at once, sending streams after the grace period).
 */
export class ActiveDownloads {
  private readonly streams = new Set<ActiveDownload>();
  private readonly perClient = new Map<string, number>();
  private draining = false;
  private emptyWaiters: Array<() => void> = [];

  constructor(private readonly maxPerClient: number) {}

  get size(): number {
    return this.streams.size;
  }

  /** Open streams by stage (asked at scrape time). */
  get countsByStage(): { waiting: number; sending: number } {
    let sending = 0;
    for (const stream of this.streams) if (stream.stage === "sending") sending++;
    return { waiting: this.streams.size - sending, sending };
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** New calls are refused while draining. */
  assertAccepting(): void {
    if (this.draining) throw drainingError("server is shutting down; reconnect to another instance");
  }

  open(clientId: string, controller: AbortController): ActiveDownload {
    this.assertAccepting();
    const count = this.perClient.get(clientId) ?? 0;
    if (count >= this.maxPerClient) {
      throw new ResourceExhaustedError(
        `too many concurrent downloads for this client (limit ${this.maxPerClient})`,
      );
    }
    this.perClient.set(clientId, count + 1);
    const stream: ActiveDownload = { clientId, controller, stage: "waiting", nextOffset: 0 };
    this.streams.add(stream);
    return stream;
  }

  close(stream: ActiveDownload): void {
    if (!this.streams.delete(stream)) return;
    const count = (this.perClient.get(stream.clientId) ?? 1) - 1;
    if (count <= 0) this.perClient.delete(stream.clientId);
    else this.perClient.set(stream.clientId, count);
    if (this.streams.size === 0) {
      for (const resolve of this.emptyWaiters.splice(0)) resolve();
    }
  }

  /** Refuse new streams and end the waiting ones; sending ones may finish. */
  startDraining(): void {
    this.draining = true;
    for (const stream of this.streams) {
      if (stream.stage === "waiting") {
        stream.controller.abort(drainingError("server is shutting down; reconnect to continue"));
      }
    }
  }

  /** The grace period is over: end every stream, telling each where to resume. */
  drainAll(): void {
    this.draining = true;
    for (const stream of this.streams) {
      stream.controller.abort(
        drainingError(`server is shutting down; reconnect with read_offset ${stream.nextOffset} to resume`),
      );
    }
  }

  whenEmpty(): Promise<void> {
    if (this.streams.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }
}

function drainingError(message: string): UnavailableError {
  return new UnavailableError(message, DRAINING_RETRY_AFTER_MS);
}
