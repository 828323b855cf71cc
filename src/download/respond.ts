import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, ServiceError } from "@grpc/grpc-js";
import type { Logger } from "winston";
import { toGrpcStatus, type MappedStatus } from "./to-grpc-status";

/** Maps an error to a status, logging the unexpected ones with their stack (never sent). */
export function errorStatus(logger: Logger, path: string, error: unknown): MappedStatus {
  const mapped = toGrpcStatus(error);
  if (!mapped.expected) logger.error("unexpected error", { method: path, error });
  return mapped;
}

export function asServiceError(mapped: MappedStatus): ServiceError {
  return Object.assign(new Error(mapped.details), {
    code: mapped.code,
    details: mapped.details,
    metadata: mapped.metadata,
  });
}

export function respondUnary<Req, Res>(
  logger: Logger,
  call: ServerUnaryCall<Req, Res>,
  callback: sendUnaryData<Res>,
  work: () => Promise<Res>,
): void {
  work().then(
    (response) => callback(null, response),
    (error: unknown) => callback(asServiceError(errorStatus(logger, call.getPath(), error))),
  );
}

/** Ends a server stream with an error status (after any messages already written). */
export function failStream(
  logger: Logger,
  call: ServerWritableStream<unknown, unknown>,
  error: unknown,
): void {
  call.emit("error", asServiceError(errorStatus(logger, call.getPath(), error)));
}
