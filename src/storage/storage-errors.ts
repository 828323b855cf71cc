/** Storage could not answer (after retries, or with the breaker open). */
export class StorageUnavailableError extends Error {
  /** What a client is told (the message itself may name internals and is only logged). */
  readonly clientMessage: string = "storage unavailable, retry later";

  constructor(
    message: string,
    /** A hint for callers: when a retry has a chance. */
    readonly retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "StorageUnavailableError";
  }
}

/** A file's preparation failed on storage: its waiters are told so, and a retry starts a new job. */
export class PreparationFailedError extends StorageUnavailableError {
  override readonly clientMessage: string;

  constructor(fileId: number, cause: StorageUnavailableError) {
    super(`preparing file ${fileId} failed: ${cause.message}`, cause.retryAfterMs, { cause });
    this.name = "PreparationFailedError";
    this.clientMessage = `preparing file ${fileId} failed: storage unavailable; retry to start a new preparation`;
  }
}

/** Programming errors (a bad key, a wrong argument) are not storage failures: never retried or failed over. */
export function isStorageFailure(error: unknown): boolean {
  return !(error instanceof RangeError || error instanceof TypeError);
}
