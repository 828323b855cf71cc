import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { FsObjectStore } from "../../src/storage/fs-object-store";
import { fileKey, preparedRecordKey } from "../../src/storage/keys";
import type { ObjectStore } from "../../src/storage/object-store";
import { readRange } from "../../src/storage/read-range";
import { makeFile } from "../support/files";
import { trackSuiteResources } from "../support/no-leaks";
import { s3Store, startS3, type RunningS3 } from "../support/s3-server";

const FILE = makeFile(10_100, 700_001);

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

/** One suite, every driver: the ObjectStore contract. */
function storeContract(
  name: string,
  setup: () => Promise<{ store: ObjectStore; cleanup: () => Promise<void> }>,
) {
  describe(`ObjectStore contract: ${name}`, () => {
    const resources = trackSuiteResources();
    let store: ObjectStore;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await setup());
      await store.put(fileKey(FILE.fileId), FILE.bytes, "application/zip");
    });
    after(async () => {
      await store.close();
      await cleanup();
      await resources.assertClean();
    });

    it("answers a missing object with undefined, not an error", async () => {
      assert.equal(await store.stat(fileKey(99_999)), undefined);
      assert.equal(await store.get(preparedRecordKey(99_999)), undefined);
    });

    it("stats size and an etag that changes with the content", async () => {
      const info = await store.stat(fileKey(FILE.fileId));
      assert.equal(info?.size, FILE.bytes.length);
      assert.ok(info.etag.length > 0);
      const other = makeFile(10_101, 10);
      await store.put(fileKey(other.fileId), other.bytes, "application/zip");
      const before = await store.stat(fileKey(other.fileId));
      await new Promise((r) => setTimeout(r, 20));
      await store.put(fileKey(other.fileId), Buffer.from("changed content"), "application/zip");
      const after = await store.stat(fileKey(other.fileId));
      assert.notEqual(before?.etag, after?.etag);
    });

    it("reads exact byte ranges", async () => {
      for (const range of [
        { offset: 0, length: FILE.bytes.length },
        { offset: 1, length: 1 },
        { offset: 65_536, length: 300_000 },
        { offset: FILE.bytes.length - 7, length: 7 },
      ]) {
        const bytes = await readAll(await store.read(fileKey(FILE.fileId), range, 64 * 1024));
        assert.ok(
          bytes.equals(FILE.bytes.subarray(range.offset, range.offset + range.length)),
          JSON.stringify(range),
        );
      }
      const viaRange = await readAll(
        readRange(store, fileKey(FILE.fileId), { offset: 5, length: 500_000 }, { resumeAttempts: 0 }),
      );
      assert.ok(viaRange.equals(FILE.bytes.subarray(5, 500_005)));
    });

    it("puts and gets small records", async () => {
      const body = Buffer.from(JSON.stringify({ hello: "world" }));
      await store.put(preparedRecordKey(FILE.fileId), body, "application/json");
      assert.deepEqual(await store.get(preparedRecordKey(FILE.fileId)), body);
    });

    it("pings", async () => {
      await store.ping();
    });
  });
}

storeContract("fs (temp directory)", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "delineate-fs-"));
  return { store: new FsObjectStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

storeContract("s3 (s3rver on loopback)", async () => {
  const s3: RunningS3 = await startS3();
  const store = s3Store(s3.endpoint);
  return { store, cleanup: () => s3.close() };
});

describe("fs driver keys", () => {
  it("refuses keys that are not ours", async () => {
    const store = new FsObjectStore("/tmp");
    await assert.rejects(store.stat("../etc/passwd"), RangeError);
    await assert.rejects(store.get("downloads/../../x.zip"), RangeError);
  });
});
