/**
 * The answers a caller can be given, as typed errors. Handlers throw these; one module
 * (to-grpc-status.ts) turns them into gRPC status codes. Messages are shown to clients,
 * so they never carry paths or internal detail: that goes in `cause`, which is only logged.
 */
export abstract class ServiceError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidArgumentError extends ServiceError {}
export class NotFoundError extends ServiceError {}
export class OutOfRangeError extends ServiceError {}
export class FailedPreconditionError extends ServiceError {}
export class UnauthenticatedError extends ServiceError {}
export class ResourceExhaustedError extends ServiceError {}

/** Try again later: storage down, breaker open, or the server is draining. */
export class UnavailableError extends ServiceError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
