/** Storage could not answer (after retries, or with the breaker open). */
export class StorageUnavailableError extends Error {
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
