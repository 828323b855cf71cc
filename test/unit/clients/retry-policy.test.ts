import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { backoffDelay, DEFAULT_RETRY, isRetryable, retryAfterMs } from "../../../clients/node/retry-policy";

function serviceError(code: status, details = "", trailers?: Record<string, string>): ServiceError {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(trailers ?? {})) metadata.set(k, v);
  return Object.assign(new Error(details), { code, details, metadata });
}

describe("client retry policy", () => {
  it("retries only drops, deadlines and resets", () => {
    assert.equal(isRetryable(serviceError(status.UNAVAILABLE, "Connection dropped")), true);
    assert.equal(isRetryable(serviceError(status.DEADLINE_EXCEEDED)), true);
    assert.equal(isRetryable(serviceError(status.INTERNAL, "Received RST_STREAM with code 2")), true);
    assert.equal(isRetryable(serviceError(status.INTERNAL, "internal error")), false);
    // A reset by the server is resumed; a cancel this client made is not.
    assert.equal(isRetryable(serviceError(status.CANCELLED, "Call cancelled")), true);
    assert.equal(isRetryable(serviceError(status.CANCELLED, "Cancelled on client"), true), false);
    for (const code of [
      status.NOT_FOUND,
      status.INVALID_ARGUMENT,
      status.OUT_OF_RANGE,
      status.UNAUTHENTICATED,
      status.RESOURCE_EXHAUSTED,
      status.FAILED_PRECONDITION,
    ])
      assert.equal(isRetryable(serviceError(code)), false, status[code]);
  });

  it("backs off exponentially with jitter, within the cap", () => {
    const low = () => 0;
    const high = () => 0.999999;
    assert.equal(backoffDelay(DEFAULT_RETRY, 1, high), DEFAULT_RETRY.initialDelayMs);
    assert.equal(backoffDelay(DEFAULT_RETRY, 1, low), DEFAULT_RETRY.initialDelayMs / 2);
    assert.equal(backoffDelay(DEFAULT_RETRY, 3, high), DEFAULT_RETRY.initialDelayMs * 4);
    assert.equal(backoffDelay(DEFAULT_RETRY, 30, high), DEFAULT_RETRY.maxDelayMs);
    assert.equal(backoffDelay(DEFAULT_RETRY, 30, low), DEFAULT_RETRY.maxDelayMs / 2);
  });

  it("takes the server's retry-after-ms as a floor, within reason", () => {
    assert.equal(retryAfterMs(serviceError(status.UNAVAILABLE, "", { "retry-after-ms": "1500" })), 1500);
    assert.equal(retryAfterMs(serviceError(status.UNAVAILABLE, "", { "retry-after-ms": "soon" })), 0);
    assert.equal(retryAfterMs(serviceError(status.UNAVAILABLE, "", { "retry-after-ms": "9999999" })), 60_000);
    assert.equal(retryAfterMs(serviceError(status.UNAVAILABLE)), 0);
  });
});
