import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import {
  type CheckFileResponse,
  DownloadPhase,
  DownloadRequest,
  type PrepareFilesResponse,
  type DownloadServiceClient,
} from "../../src/gen/delineate/v1/download_service";
import { s3Store } from "../support/s3-server";
import { collectDownload, downloadRequest, statuses } from "../support/collect";
import { makeFile, writeToDataDir } from "../support/files";
import { trackSuiteResources } from "../support/no-leaks";
import { startTestServer, withKey, type TestServer } from "../support/test-server";

const FILE = makeFile(10_010, 100_000);
const KEY = "test-key-1";

type Answer<Res> = { error: ServiceError | null; response?: Res };

function checkFile(client: DownloadServiceClient, fileId: number, md = withKey(KEY)) {
  return new Promise<Answer<CheckFileResponse>>((resolve) =>
    client.checkFile({ fileId }, md, (error, response) => resolve({ error, response })),
  );
}

function prepareFiles(client: DownloadServiceClient, fileIds: number[], md = withKey(KEY)) {
  return new Promise<Answer<PrepareFilesResponse>>((resolve) =>
    client.prepareFiles({ fileIds }, md, (error, response) => resolve({ error, response })),
  );
}

describe("error codes (DESIGN.md §1 table)", () => {
  const resources = trackSuiteResources();
  let server: TestServer;
  let client: DownloadServiceClient;
  before(async () => {
    server = await startTestServer({
      files: [FILE],
      env: {
        API_KEYS: `${KEY},other-key`,
        MAX_STREAMS_PER_CLIENT: "2",
        DOWNLOAD_DELAY_MIN_MS: "800",
        DOWNLOAD_DELAY_MAX_MS: "800",
      },
    });
    client = server.client();
  });
  after(async () => {
    await server.close();
    await resources.assertClean();
  });

  const download = (request: DownloadRequest, metadata = withKey(KEY)) =>
    collectDownload(client, request, { metadata });

  it("INVALID_ARGUMENT before any message: file id, chunk size, if_sha256, undecodable numbers", async () => {
    const bad: DownloadRequest[] = [
      downloadRequest(9_999),
      downloadRequest(100_000_001),
      downloadRequest(0),
      downloadRequest(FILE.fileId, { chunkSizeBytes: 1024 }),
      downloadRequest(FILE.fileId, { chunkSizeBytes: 1024 * 1024 + 1 }),
      downloadRequest(FILE.fileId, { ifSha256: "not-a-sha" }),
    ];
    for (const request of bad) {
      const result = await download(request);
      assert.equal(result.status.code, status.INVALID_ARGUMENT, JSON.stringify(request));
      assert.equal(result.messages.length, 0);
      assert.doesNotMatch(result.status.details, /at |\/work|node_modules/);
    }
    // file_id = 2^60 cannot be a JS number: sent as raw protobuf, still INVALID_ARGUMENT (not INTERNAL).
    const raw = client.makeServerStreamRequest(
      "/delineate.v1.DownloadService/Download",
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => DownloadRequest.decode(bytes),
      Buffer.from([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]),
      withKey(KEY),
    );
    raw.on("error", () => undefined);
    const code = await new Promise<number>((resolve) =>
      raw.on("status", (s: { code: number }) => resolve(s.code)),
    );
    assert.equal(code, status.INVALID_ARGUMENT);
  });

  it("INVALID_ARGUMENT for PrepareFiles: empty, more than 1,000 ids, an id out of range", async () => {
    for (const fileIds of [[], Array.from({ length: 1001 }, () => FILE.fileId), [FILE.fileId, 5]]) {
      const { error } = await prepareFiles(client, fileIds);
      assert.equal(error?.code, status.INVALID_ARGUMENT, `${fileIds.length} ids`);
    }
    const { error } = await checkFile(client, 42);
    assert.equal(error?.code, status.INVALID_ARGUMENT);
  });

  it("NOT_FOUND for Download, but OK with available=false for CheckFile and PrepareFiles", async () => {
    const result = await download(downloadRequest(99_999));
    assert.equal(result.status.code, status.NOT_FOUND);
    assert.equal(result.messages.length, 0);
    const check = await checkFile(client, 99_999);
    assert.equal(check.error, null);
    assert.deepEqual(check.response, {
      fileId: 99_999,
      available: false,
      sizeBytes: 0,
      prepared: false,
      sha256: "",
    });
    const prep = await prepareFiles(client, [99_999, 99_999]);
    assert.deepEqual(prep.response?.files, [
      {
        fileId: 99_999,
        available: false,
        jobId: "",
        phase: DownloadPhase.DOWNLOAD_PHASE_UNSPECIFIED,
        joinedExistingJob: false,
      },
    ]);
  });

  it("OUT_OF_RANGE before any message", async () => {
    const size = FILE.bytes.length;
    for (const fields of [
      { readOffset: size + 1 },
      { readOffset: 10, readLimit: size - 9 },
      { readOffset: 0, readLimit: size + 1 },
    ]) {
      const result = await download(downloadRequest(FILE.fileId, fields));
      assert.equal(result.status.code, status.OUT_OF_RANGE, JSON.stringify(fields));
      assert.equal(result.messages.length, 0);
    }
  });

  it("UNAUTHENTICATED: no key, wrong key, two different keys; auth before arguments", async () => {
    const both = withKey(KEY);
    both.set("x-api-key", "other-key");
    for (const metadata of [new Metadata(), withKey("wrong"), both, withKey("wrong", "x-api-key")]) {
      const result = await download(downloadRequest(FILE.fileId), metadata);
      assert.equal(result.status.code, status.UNAUTHENTICATED);
      const { error } = await checkFile(client, FILE.fileId, metadata);
      assert.equal(error?.code, status.UNAUTHENTICATED);
    }
    // Auth comes before arguments.
    const result = await download(downloadRequest(5), new Metadata());
    assert.equal(result.status.code, status.UNAUTHENTICATED);
    // Both headers are fine when they agree; the scheme is case-insensitive.
    const agree = withKey(KEY);
    agree.set("x-api-key", KEY);
    agree.set("authorization", `bEaReR ${KEY}`);
    assert.equal((await checkFile(client, FILE.fileId, agree)).error, null);
    assert.equal((await checkFile(client, FILE.fileId, withKey("other-key", "x-api-key"))).error, null);
  });

  it("FAILED_PRECONDITION after processing, and at once once prepared", async () => {
    const wrong = "0".repeat(64);
    const first = await download(downloadRequest(FILE.fileId, { ifSha256: wrong }));
    assert.equal(first.status.code, status.FAILED_PRECONDITION);
    assert.ok(statuses(first).length > 0, "statuses came while processing");
    assert.equal(first.bytes.length, 0);
    const second = await download(downloadRequest(FILE.fileId, { ifSha256: wrong }));
    assert.equal(second.status.code, status.FAILED_PRECONDITION);
    assert.ok(second.messages.length <= 1);
    const right = await download(downloadRequest(FILE.fileId, { ifSha256: FILE.sha256.toUpperCase() }));
    assert.equal(right.status.code, status.OK);
  });

  it("RESOURCE_EXHAUSTED over the per-client stream cap, after auth and arguments", async () => {
    const cold = makeFile(10_011, 10);
    await writeToDataDir(server.dataDir, [cold]);
    const open = [download(downloadRequest(cold.fileId)), download(downloadRequest(cold.fileId))];
    await new Promise((r) => setTimeout(r, 150));
    const third = await download(downloadRequest(cold.fileId));
    assert.equal(third.status.code, status.RESOURCE_EXHAUSTED);
    const badArgs = await download(downloadRequest(5));
    assert.equal(badArgs.status.code, status.INVALID_ARGUMENT, "arguments are checked before the cap");
    // Another key is another client.
    const otherKey = await collectDownload(client, downloadRequest(FILE.fileId), {
      metadata: withKey("other-key"),
    });
    assert.equal(otherKey.status.code, status.OK);
    for (const result of await Promise.all(open)) assert.equal(result.status.code, status.OK);
    // Slots come back when streams end.
    assert.equal((await download(downloadRequest(cold.fileId))).status.code, status.OK);
  });

  it("DEADLINE_EXCEEDED for the caller while the job keeps going", async () => {
    const cold = makeFile(10_012, 1000);
    await writeToDataDir(server.dataDir, [cold]);
    const result = await collectDownload(client, downloadRequest(cold.fileId), {
      metadata: withKey(KEY),
      callOptions: { deadline: Date.now() + 200 },
    });
    assert.equal(result.status.code, status.DEADLINE_EXCEEDED);
    const [job] = [...statuses(result)];
    assert.ok(job?.jobId);
    const again = await download(downloadRequest(cold.fileId));
    assert.equal(again.status.code, status.OK);
    const ids = new Set(
      statuses(again)
        .map((s) => s.jobId)
        .filter((id) => id !== ""),
    );
    assert.deepEqual([...ids], [job.jobId], "the retry reattached to the same job");
    assert.equal(statuses(again)[0]?.joinedExistingJob, true);
  });
});

describe("UNAVAILABLE when storage is down", () => {
  const resources = trackSuiteResources();
  let server: TestServer;
  before(async () => {
    // S3 on a loopback port nobody listens on: every call is refused (a real failure, not a mock).
    const store = s3Store("http://127.0.0.1:1");
    server = await startTestServer({ store, env: { STORAGE_BREAKER_THRESHOLD: "3" } });
  });
  after(async () => {
    await server.close();
    await resources.assertClean();
  });

  it("answers UNAVAILABLE with a retry-after-ms trailer, then fails fast with the breaker open", async () => {
    const client = server.client();
    const results = [];
    for (let i = 0; i < 4; i++) {
      results.push(await checkFile(client, FILE.fileId, new Metadata()));
    }
    for (const { error } of results) {
      assert.equal(error?.code, status.UNAVAILABLE);
      const retryAfter = Number(error.metadata.get("retry-after-ms")[0]);
      assert.ok(retryAfter >= 0, "retry-after-ms trailer present");
      assert.doesNotMatch(error.details, /ECONNREFUSED|127\.0\.0\.1/, "no internal detail in the message");
    }
    const last = results.at(-1)!.error!;
    assert.match(last.details, /unavailable/);
    const stream = await collectDownload(client, downloadRequest(FILE.fileId));
    assert.equal(stream.status.code, status.UNAVAILABLE);
    assert.equal(stream.messages.length, 0);
    assert.ok(Number(last.metadata.get("retry-after-ms")[0]) > 1000, "open breaker says when to come back");
  });
});
