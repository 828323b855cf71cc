import { status, type ServiceError } from "@grpc/grpc-js";

/** A downloadFile failure; `code` is the gRPC status of the last attempt when there was one. */
export class DownloadError extends Error {
  override readonly name: string = "DownloadError";
  constructor(
    message: string,
    readonly fileId: number,
    readonly code: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  static fromService(fileId: number, error: ServiceError, attempts: number): DownloadError {
    const plural = attempts === 1 ? "" : "s";
    const message = `${status[error.code] ?? error.code}: ${error.details || error.message} (after ${attempts} attempt${plural})`;
    return new DownloadError(message, fileId, error.code, { cause: error });
  }
}

/** The bytes did not hash to the sha256 the server announced; nothing was left under the final name. */
export class ChecksumMismatchError extends DownloadError {
  override readonly name = "ChecksumMismatchError";
  constructor(
    fileId: number,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`file ${fileId}: sha256 mismatch (expected ${expected}, got ${actual})`, fileId, undefined);
  }
}
