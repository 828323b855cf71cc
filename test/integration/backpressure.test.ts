import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { status, type StatusObject } from "@grpc/grpc-js";
import type { DownloadResponse } from "../../src/gen/delineate/v1/download_service";
import { FsObjectStore } from "../../src/storage/fs-object-store";
import type { ByteRange } from "../../src/storage/object-store";
import { downloadRequest } from "../support/collect";
import { makeFile, sha256, writeToDataDir } from "../support/files";
import { assertNoLeaks } from "../support/no-leaks";
import { startTestServer } from "../support/test-server";

/** The real fs driver, counting the bytes that storage has handed out. */
class CountingFsStore extends FsObjectStore {
  bytesRead = 0;
  override async read(key: string, range: ByteRange, pieceBytes?: number): Promise<Readable> {
    const source = await super.read(key, range, pieceBytes);
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        this.bytesRead += chunk.length;
        done(null, chunk);
      },
    });
    source.on("error", (e) => counter.destroy(e));
    counter.on("close", () => source.destroy());
    return source.pipe(counter);
  }
}

const FILE = makeFile(10_300, 48 * 1024 * 1024);

describe("backpressure", () => {
  assertNoLeaks();

  it("a reader that stops reading stops the storage read; buffering stays a few chunks", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "delineate-bp-"));
    await writeToDataDir(dataDir, [FILE]);
    const store = new CountingFsStore(dataDir);
    const server = await startTestServer({ dataDir, store, env: { DOWNLOAD_DELAY_ENABLED: "false" } });
    try {
      const client = server.client();
      // Prepare first, so the scan's reads are not counted below.
      await new Promise((resolve, reject) =>
        client.checkFile({ fileId: FILE.fileId }, (e, r) => (e ? reject(e) : resolve(r))),
      );
      const prepare = client.download(downloadRequest(FILE.fileId, { readLimit: 1 }));
      await new Promise((resolve) => prepare.on("status", resolve).on("data", () => undefined));
      store.bytesRead = 0;

      const call = client.download(downloadRequest(FILE.fileId));
      const parts: Buffer[] = [];
      let received = 0;
      const done = new Promise<StatusObject>((resolve) => call.on("status", resolve));
      call.on("data", (m: DownloadResponse) => {
        if (m.event?.$case !== "chunk") return;
        parts.push(m.event.value.data);
        received += m.event.value.data.length;
        if (received >= 1024 * 1024 && parts.length === 4) call.pause();
      });
      // Let the pipeline fill up against the stalled reader, then check it stopped.
      await sleep(600);
      const readWhilePaused = store.bytesRead;
      await sleep(400);
      assert.equal(
        store.bytesRead,
        readWhilePaused,
        "storage reads stopped while the client was not reading",
      );
      const ahead = readWhilePaused - received;
      // In flight: ≤ 4 chunks of 256 KiB on our side, HTTP/2 windows, socket buffers, the fs stream's
      // read-ahead, and the grpc-js client's own buffer of 16 messages (4 MiB). Far below the 48 MiB file.
      assert.ok(ahead < 8 * 1024 * 1024, `storage ran ${ahead} bytes ahead of the reader`);
      call.resume();
      const final = await done;
      assert.equal(final.code, status.OK);
      assert.equal(sha256(Buffer.concat(parts)), FILE.sha256);
    } finally {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
