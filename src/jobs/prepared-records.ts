import type { Logger } from "winston";
import { preparedRecordKey } from "../storage/keys";
import type { ObjectInfo, ObjectStore } from "../storage/object-store";
import { parsePreparedRecord, recordMatches, type PreparedRecord } from "./prepared-record";

/** Bounded so a scan over millions of ids cannot grow memory without end. */
const CACHE_LIMIT = 100_000;

/**
 * Prepared records: kept in memory and in storage. Storage is the truth shared by every
 * process (and survives restarts); memory saves a round trip on repeat downloads.
 */
export class PreparedRecords {
  private readonly cache = new Map<number, PreparedRecord>();

  constructor(
    private readonly store: ObjectStore,
    private readonly logger: Logger,
  ) {}

  /** The record for this file if it was prepared from the same content, else undefined. */
  async find(fileId: number, info: ObjectInfo): Promise<PreparedRecord | undefined> {
    const cached = this.cache.get(fileId);
    if (cached && recordMatches(cached, info)) return cached;
    const body = await this.store.get(preparedRecordKey(fileId));
    const record = body && parsePreparedRecord(body, fileId);
    if (!record || !recordMatches(record, info)) {
      this.cache.delete(fileId);
      return undefined;
    }
    this.remember(record);
    return record;
  }

  /** Kept in memory at once; a failed storage write is logged, not fatal (the next job redoes it). */
  async save(record: PreparedRecord): Promise<void> {
    this.remember(record);
    try {
      await this.store.put(
        preparedRecordKey(record.fileId),
        Buffer.from(JSON.stringify(record)),
        "application/json",
      );
    } catch (error) {
      this.logger.warn("prepared record not stored", { file_id: record.fileId, error });
    }
  }

  private remember(record: PreparedRecord): void {
    this.cache.delete(record.fileId);
    this.cache.set(record.fileId, record);
    if (this.cache.size > CACHE_LIMIT) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
  }
}
