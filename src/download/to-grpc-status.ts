import { Metadata, status, type StatusObject } from "@grpc/grpc-js";
import { StorageUnavailableError } from "../storage/storage-errors";
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  OutOfRangeError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
} from "./service-errors";

export const RETRY_AFTER_TRAILER = "retry-after-ms";

const CODES: ReadonlyArray<readonly [new (...args: never[]) => Error, status]> = [
  [InvalidArgumentError, status.INVALID_ARGUMENT],
  [NotFoundError, status.NOT_FOUND],
  [OutOfRangeError, status.OUT_OF_RANGE],
  [FailedPreconditionError, status.FAILED_PRECONDITION],
  [UnauthenticatedError, status.UNAUTHENTICATED],
  [ResourceExhaustedError, status.RESOURCE_EXHAUSTED],
];

export interface MappedStatus extends StatusObject {
  /** False for errors we did not expect: those are logged with their stack. */
  readonly expected: boolean;
}

/**
 * The one place errors become gRPC status. Known errors keep their message; anything
 * else becomes a generic INTERNAL so that no stack or path reaches a client.
 */
export function toGrpcStatus(error: unknown): MappedStatus {
  const metadata = new Metadata();
  if (error instanceof UnavailableError || error instanceof StorageUnavailableError) {
    metadata.set(RETRY_AFTER_TRAILER, String(Math.max(0, Math.round(error.retryAfterMs))));
    const details = error instanceof StorageUnavailableError ? error.clientMessage : error.message;
    return { code: status.UNAVAILABLE, details, metadata, expected: true };
  }
  for (const [type, code] of CODES) {
    if (error instanceof type) return { code, details: error.message, metadata, expected: true };
  }
  return { code: status.INTERNAL, details: "internal error", metadata, expected: false };
}
