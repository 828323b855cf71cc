import { MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from "../config/config";
import { SHA256_HEX } from "../jobs/prepared-record";
import { InvalidArgumentError } from "./service-errors";
import { isUndecodable } from "./tolerant-deserialize";

export const MIN_FILE_ID = 10_000;
export const MAX_FILE_ID = 100_000_000;
export const MAX_PREPARE_IDS = 1_000;

export interface DownloadArgs {
  readonly fileId: number;
  readonly readOffset: number;
  /** 0 = to the end of the file. */
  readonly readLimit: number;
  readonly chunkSizeBytes: number;
  /** Lowercase hex, or undefined when not given. */
  readonly ifSha256: string | undefined;
}

export function validateFileId(fileId: number, field = "file_id"): number {
  if (!Number.isInteger(fileId) || fileId < MIN_FILE_ID || fileId > MAX_FILE_ID) {
    throw new InvalidArgumentError(`${field} must be within ${MIN_FILE_ID}..${MAX_FILE_ID}, got ${fileId}`);
  }
  return fileId;
}

/** Rejects a request whose numbers could not be decoded (beyond 2^53). */
export function assertDecodable(request: object): void {
  if (isUndecodable(request)) {
    throw new InvalidArgumentError("request could not be decoded: a number is out of range");
  }
}

export function validateDownloadRequest(
  request: {
    fileId: number;
    readOffset: number;
    readLimit: number;
    chunkSizeBytes: number;
    ifSha256: string;
  },
  defaultChunkSize: number,
): DownloadArgs {
  assertDecodable(request);
  const fileId = validateFileId(request.fileId);
  const chunk = request.chunkSizeBytes;
  if (chunk !== 0 && (chunk < MIN_CHUNK_SIZE || chunk > MAX_CHUNK_SIZE)) {
    throw new InvalidArgumentError(
      `chunk_size_bytes must be 0 (server default) or within ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}, got ${chunk}`,
    );
  }
  const ifSha256 = request.ifSha256 === "" ? undefined : request.ifSha256.toLowerCase();
  if (ifSha256 !== undefined && !SHA256_HEX.test(ifSha256)) {
    throw new InvalidArgumentError("if_sha256 must be 64 hex digits");
  }
  return {
    fileId,
    readOffset: request.readOffset,
    readLimit: request.readLimit,
    chunkSizeBytes: chunk === 0 ? defaultChunkSize : chunk,
    ifSha256,
  };
}

export function validatePrepareIds(fileIds: readonly number[]): number[] {
  if (fileIds.length === 0) throw new InvalidArgumentError("file_ids must not be empty");
  if (fileIds.length > MAX_PREPARE_IDS) {
    throw new InvalidArgumentError(`file_ids holds at most ${MAX_PREPARE_IDS} ids, got ${fileIds.length}`);
  }
  fileIds.forEach((id, index) => validateFileId(id, `file_ids[${index}]`));
  return [...new Set(fileIds)];
}
