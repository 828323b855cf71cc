import { status, type ServiceError } from "@grpc/grpc-js";

export interface RetryOptions {
  /** Failed attempts in a row (without a new byte or status) before giving up. */
  readonly budget?: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly multiplier?: number;
}

export type ResolvedRetryOptions = Required<RetryOptions>;

export const DEFAULT_RETRY: ResolvedRetryOptions = {
  budget: 8,
  initialDelayMs: 250,
  maxDelayMs: 10_000,
  multiplier: 2,
};

/**
 * Whether a failed attempt is worth resuming. Only these, because each means "the stream broke, the
 * file did not": anything else (NOT_FOUND, INVALID_ARGUMENT, OUT_OF_RANGE, UNAUTHENTICATED,
 * RESOURCE_EXHAUSTED from our own stream cap) would fail the same way again.
 */
export function isRetryable(error: ServiceError, cancelledHere = false): boolean {
  switch (error.code) {
    // UNAVAILABLE: connection lost, server draining, storage briefly down (retry-after-ms says when).
    // DEADLINE_EXCEEDED: a per-attempt deadline; the job keeps running and a new call reattaches to it.
    case status.UNAVAILABLE:
    case status.DEADLINE_EXCEEDED:
      return true;
    // grpc-js reports a stream reset by a proxy or a cut connection as INTERNAL "Received RST_STREAM";
    // a real server bug is INTERNAL without that marker and is not retried.
    case status.INTERNAL:
      return /RST_STREAM|Connection dropped|ECONNRESET/i.test(error.details);
    // A cancel this client did not ask for is the peer resetting the stream (RST_STREAM CANCEL), as a
    // server does to the streams left at the end of a forced shutdown.
    case status.CANCELLED:
      return !cancelledHere;
    default:
      return false;
  }
}

/** "Equal jitter" (half fixed, half random): spreads clients reconnecting after a restart, never 0. */
export function backoffDelay(
  retry: ResolvedRetryOptions,
  failuresInARow: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.initialDelayMs * retry.multiplier ** (failuresInARow - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** A server-sent `retry-after-ms` trailer is a floor for the next delay. */
export function retryAfterMs(error: ServiceError): number {
  const value = error.metadata?.get("retry-after-ms")[0];
  const ms = typeof value === "string" ? Number(value) : NaN;
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 60_000) : 0;
}
