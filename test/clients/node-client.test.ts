import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  ChecksumMismatchError,
  DelineateClient,
  DownloadError,
  DownloadPhase,
  type DownloadEvent,
  type DownloadOptions,
  type DownloadResult,
} from "../../clients/node";
import { startCuttingProxy } from "../support/cutting-proxy";
import { makeFile, sha256 } from "../support/files";
import { trackSuiteResources } from "../support/no-leaks";
import { startTestServer, type TestServer } from "../support/test-server";

const BIG = makeFile(20_001, 3 * 1024 * 1024 + 17);
const SMALL = makeFile(20_002, 300 * 1024);
/** Short so a test does not wait seconds for a failure to be noticed. */
const FAST_RETRY = { initialDelayMs: 20, maxDelayMs: 100 };

/** One downloadFile on a fresh client (closed afterwards), with every event it reported. */
async function downloadWithEvents(
  address: string,
  fileId: number,
  target: string,
  options: Omit<DownloadOptions, "onEvent"> = {},
): Promise<{ result: DownloadResult; events: DownloadEvent[] }> {
  const client = new DelineateClient(address);
  const events: DownloadEvent[] = [];
  try {
    const result = await client.downloadFile(fileId, target, { ...options, onEvent: (e) => events.push(e) });
    return { result, events };
  } finally {
    client.close();
  }
}

describe("Node client", () => {
  const resources = trackSuiteResources();
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await startTestServer({ files: [BIG, SMALL] });
    dir = await mkdtemp(path.join(tmpdir(), "delineate-client-"));
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
    await resources.assertClean();
  });

  it("reports phases and bytes, verifies the sha256 and leaves only the final file", async () => {
    const target = path.join(dir, "plain.zip");
    const { result, events } = await downloadWithEvents(server.address, SMALL.fileId, target);
    assert.equal(result.sha256, SMALL.sha256);
    assert.equal(result.attempts, 1);
    assert.ok((await readFile(target)).equals(SMALL.bytes));
    assert.equal(existsSync(`${target}.part`), false);
    assert.equal(existsSync(`${target}.part.json`), false);
    const types = [...new Set(events.map((e) => e.type))];
    assert.deepEqual(types, ["status", "metadata", "progress", "complete"]);
    const phases = events.flatMap((e) => (e.type === "status" ? [e.phase] : []));
    assert.ok(phases.includes(DownloadPhase.DOWNLOAD_PHASE_READY));
    const last = events.filter((e) => e.type === "progress").at(-1);
    assert.equal(last?.type === "progress" && last.bytes, SMALL.bytes.length);
  });

  it("resumes at the last good offset through connections cut mid-stream", async () => {
    // A real fault: the proxy resets the TCP connection after ~1 MiB, then again on the next one.
    const proxy = await startCuttingProxy({
      target: server.address,
      cutAfterBytes: [1024 * 1024, 1536 * 1024],
    });
    const target = path.join(dir, "cut.zip");
    const { result, events } = await downloadWithEvents(proxy.address, BIG.fileId, target, {
      retry: FAST_RETRY,
    }).finally(() => proxy.close());
    assert.equal(result.sha256, BIG.sha256);
    assert.ok(result.attempts >= 3, `attempts ${result.attempts}`);
    assert.equal(proxy.cuts, 2);
    assert.ok((await readFile(target)).equals(BIG.bytes), "bytes differ");
    const retries = events.filter((e) => e.type === "retry");
    assert.ok(retries.length >= 2);
    for (const retry of retries) assert.ok(["UNAVAILABLE", "INTERNAL"].includes(retry.reason), retry.reason);
    // Each resume asked for the bytes after the ones already held, not the file again.
    const resumed = events.flatMap((e) => (e.type === "metadata" ? [e.readOffset] : []));
    assert.equal(resumed[0], 0);
    assert.ok(
      resumed.slice(1).some((offset) => offset > 0),
      `metadata offsets ${resumed.join(",")}`,
    );
  });

  it("resumes on a restarted server after the old one drained the stream", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "delineate-restart-"));
    const file = makeFile(20_003, 4 * 1024 * 1024);
    // Grace 0: a stream still sending when shutdown starts gets DRAINING and UNAVAILABLE at once.
    const env = { SHUTDOWN_GRACE_MS: "0" };
    const first = await startTestServer({ files: [file], dataDir, env });
    let second: TestServer | undefined;
    let restart: Promise<void> | undefined;
    const proxy = await startCuttingProxy({ target: first.address, cutAfterBytes: [] });
    // A small receive window and a slow consumer keep the stream open while the server shuts down.
    const client = new DelineateClient(proxy.address, {
      channelOptions: { "grpc-node.flow_control_window": 64 * 1024 },
    });
    const received: Buffer[] = [];
    const slow = new Writable({
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk);
        setTimeout(done, 20);
      },
    });
    const events: DownloadEvent[] = [];
    try {
      const result = await client.downloadFile(file.fileId, slow, {
        chunkSizeBytes: 64 * 1024,
        retry: FAST_RETRY,
        onEvent: (e) => {
          events.push(e);
          if (e.type === "progress" && e.bytes >= 1024 * 1024 && !restart) {
            restart = (async () => {
              await first.close();
              second = await startTestServer({ dataDir, env });
              proxy.setTarget(second.address);
            })();
          }
        },
      });
      assert.equal(result.sha256, file.sha256);
      assert.ok(restart, "the server was never restarted mid-transfer");
    } finally {
      client.close();
      await restart;
      await second?.close();
      await proxy.close();
      await rm(dataDir, { recursive: true, force: true });
    }
    assert.ok(Buffer.concat(received).equals(file.bytes));
    // A stream held back by flow control cannot get its DRAINING message out before the forced end, so
    // the client sees either DRAINING + UNAVAILABLE or the server's RST_STREAM (CANCELLED); both resume.
    const retry = events.find((e) => e.type === "retry");
    assert.ok(
      retry?.type === "retry" && ["UNAVAILABLE", "CANCELLED"].includes(retry.reason),
      JSON.stringify(retry),
    );
    const offsets = events.flatMap((e) => (e.type === "metadata" ? [e.readOffset] : []));
    assert.equal(offsets[0], 0);
    assert.ok(
      offsets.slice(1).every((o) => o >= 1024 * 1024),
      `offsets ${offsets.join(",")}`,
    );
  });

  it("resumes from the .part file of an earlier process, re-hashing what it holds", async () => {
    const target = path.join(dir, "restart.zip");
    // "Process" one: stops itself after the first mebibyte has reached the disk.
    const first = new DelineateClient(server.address);
    const abort = new AbortController();
    await assert.rejects(
      first.downloadFile(BIG.fileId, target, {
        signal: abort.signal,
        onEvent: (e) => {
          if (e.type === "progress" && e.bytes >= 1024 * 1024) abort.abort();
        },
      }),
    );
    first.close();
    const held = (await stat(`${target}.part`)).size;
    assert.ok(held >= 1024 * 1024 && held < BIG.bytes.length, `held ${held}`);
    assert.equal(existsSync(target), false);

    // "Process" two: a new client object that knows nothing but the paths.
    const { result, events } = await downloadWithEvents(server.address, BIG.fileId, target);
    assert.equal(result.sha256, BIG.sha256);
    assert.deepEqual(events[0], { type: "resume", fileId: BIG.fileId, offset: held });
    const meta = events.find((e) => e.type === "metadata");
    assert.equal(meta?.type === "metadata" && meta.readOffset, held);
    assert.ok((await readFile(target)).equals(BIG.bytes));
    assert.equal(existsSync(`${target}.part`), false);
  });

  it("finishes a .part that already holds every byte (a run stopped just before the rename)", async () => {
    const target = path.join(dir, "whole.zip");
    await writeFile(`${target}.part`, SMALL.bytes);
    await writeFile(
      `${target}.part.json`,
      JSON.stringify({ fileId: SMALL.fileId, sizeBytes: SMALL.bytes.length, sha256: SMALL.sha256 }),
    );
    const { result, events } = await downloadWithEvents(server.address, SMALL.fileId, target);
    assert.equal(result.sha256, SMALL.sha256);
    const meta = events.find((e) => e.type === "metadata");
    assert.equal(meta?.type === "metadata" && meta.readOffset, SMALL.bytes.length);
    assert.ok((await readFile(target)).equals(SMALL.bytes));
  });

  it("starts over when the held bytes belong to another version of the file (if_sha256)", async () => {
    const target = path.join(dir, "changed.zip");
    await writeFile(`${target}.part`, BIG.bytes.subarray(0, 4096));
    const otherVersion = sha256(Buffer.from("an older version"));
    await writeFile(
      `${target}.part.json`,
      JSON.stringify({ fileId: BIG.fileId, sizeBytes: BIG.bytes.length, sha256: otherVersion }),
    );
    const { result, events } = await downloadWithEvents(server.address, BIG.fileId, target);
    assert.equal(result.sha256, BIG.sha256);
    assert.deepEqual(
      events.flatMap((e) => (e.type === "metadata" ? [e.readOffset] : [])),
      [0],
    );
    assert.ok((await readFile(target)).equals(BIG.bytes));
  });

  it("never puts bytes that fail the sha256 under the final name", async () => {
    const target = path.join(dir, "corrupt.zip");
    // A .part whose bytes were damaged on disk but whose record says the right version.
    const damaged = Buffer.from(BIG.bytes.subarray(0, 64 * 1024));
    damaged[100] = damaged[100]! ^ 0xff;
    await writeFile(`${target}.part`, damaged);
    await writeFile(
      `${target}.part.json`,
      JSON.stringify({ fileId: BIG.fileId, sizeBytes: BIG.bytes.length, sha256: BIG.sha256 }),
    );
    const client = new DelineateClient(server.address);
    try {
      await assert.rejects(client.downloadFile(BIG.fileId, target), (error: unknown) => {
        assert.ok(error instanceof ChecksumMismatchError);
        assert.equal(error.expected, BIG.sha256);
        return true;
      });
    } finally {
      client.close();
    }
    assert.equal(existsSync(target), false, "a wrong file under the final name");
    assert.equal(existsSync(`${target}.part`), false, "bad bytes kept for the next resume");
  });

  it("abandons a silent stream after the idle timeout and resumes on a fresh connection", async () => {
    // The first connection goes quiet mid-transfer without closing, like a dead NAT mapping.
    const proxy = await startCuttingProxy({
      target: server.address,
      cutAfterBytes: [512 * 1024],
      stall: true,
    });
    const target = path.join(dir, "idle.zip");
    const { result, events } = await downloadWithEvents(proxy.address, BIG.fileId, target, {
      idleTimeoutMs: 400,
      retry: FAST_RETRY,
    }).finally(() => proxy.close());
    assert.equal(result.sha256, BIG.sha256);
    const retries = events.filter((e) => e.type === "retry");
    assert.equal(retries[0]?.reason, "IDLE");
    assert.ok((await readFile(target)).equals(BIG.bytes));
  });

  it("writes into a Writable and fails at once, without retrying, on NOT_FOUND", async () => {
    const client = new DelineateClient(server.address);
    const parts: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        parts.push(chunk);
        done();
      },
    });
    const events: DownloadEvent[] = [];
    try {
      const result = await client.downloadFile(SMALL.fileId, sink);
      assert.equal(result.path, undefined);
      assert.ok(Buffer.concat(parts).equals(SMALL.bytes));
      await assert.rejects(
        client.downloadFile(99_999_999, path.join(dir, "missing.zip"), { onEvent: (e) => events.push(e) }),
        (error: unknown) => {
          assert.ok(error instanceof DownloadError);
          assert.equal(error.code, status.NOT_FOUND);
          return true;
        },
      );
    } finally {
      client.close();
    }
    assert.equal(events.filter((e) => e.type === "retry").length, 0);
    assert.equal(existsSync(path.join(dir, "missing.zip")), false);
  });

  it("checks and prepares files", async () => {
    const client = new DelineateClient(server.address);
    try {
      const missing = await client.checkFile(99_999_998);
      assert.equal(missing.available, false);
      const prepared = await client.prepareFiles([SMALL.fileId, 99_999_998]);
      assert.deepEqual(
        prepared.map((p) => [p.fileId, p.available]),
        [
          [SMALL.fileId, true],
          [99_999_998, false],
        ],
      );
      const checked = await client.checkFile(SMALL.fileId);
      assert.equal(checked.available, true);
      assert.equal(checked.sizeBytes, SMALL.bytes.length);
    } finally {
      client.close();
    }
  });
});
