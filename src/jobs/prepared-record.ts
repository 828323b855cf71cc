import type { ObjectInfo } from "../storage/object-store";

/** What processing produced, stored as `prepared/{file_id}.json` so any process can stream at once. */
export interface PreparedRecord {
  readonly fileId: number;
  readonly sizeBytes: number;
  /** Lowercase hex sha256 of the whole file. */
  readonly sha256: string;
  /** The object's etag when it was scanned: the record is valid only while it matches. */
  readonly etag: string;
  /** ISO 8601. */
  readonly preparedAt: string;
  readonly processingMs: number;
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;

export function recordMatches(record: PreparedRecord, info: ObjectInfo): boolean {
  return record.etag === info.etag && record.sizeBytes === info.size;
}

/** Parses a stored record; anything malformed is treated as absent (it will be prepared again). */
export function parsePreparedRecord(body: Buffer, fileId: number): PreparedRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const ok =
    r.fileId === fileId &&
    Number.isSafeInteger(r.sizeBytes) &&
    typeof r.sha256 === "string" &&
    SHA256_HEX.test(r.sha256) &&
    typeof r.etag === "string" &&
    typeof r.preparedAt === "string" &&
    typeof r.processingMs === "number";
  if (!ok) return undefined;
  return {
    fileId,
    sizeBytes: r.sizeBytes as number,
    sha256: r.sha256 as string,
    etag: r.etag as string,
    preparedAt: r.preparedAt as string,
    processingMs: r.processingMs as number,
  };
}
