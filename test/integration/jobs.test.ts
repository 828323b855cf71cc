import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { Metadata, status, type ClientReadableStream } from "@grpc/grpc-js";
import { DownloadPhase, type DownloadResponse } from "../../src/gen/delineate/v1/download_service";
import { FsObjectStore } from "../../src/storage/fs-object-store";
import { fileKey, preparedRecordKey } from "../../src/storage/keys";
import { collectDownload, downloadRequest, statuses } from "../support/collect";
import { makeFile } from "../support/files";
import { assertNoLeaks } from "../support/no-leaks";
import { s3Store, startS3 } from "../support/s3-server";
import { startTestServer } from "../support/test-server";

const FILE = makeFile(10_200, 512 * 1024);

describe("jobs", () => {
  assertNoLeaks();

  it("20 concurrent cold downloads share one job and one scan", async () => {
    const scans: number[] = [];
    const server = await startTestServer({ files: [FILE], onScan: (id) => scans.push(id) });
    try {
      const client = server.client();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => collectDownload(client, downloadRequest(FILE.fileId))),
      );
      assert.deepEqual(scans, [FILE.fileId]);
      const jobIds = new Set<string>();
      let starters = 0;
      for (const result of results) {
        assert.equal(result.status.code, status.OK);
        assert.ok(result.bytes.equals(FILE.bytes));
        const first = statuses(result)[0]!;
        jobIds.add(first.jobId);
        if (!first.joinedExistingJob) starters++;
      }
      assert.equal(jobIds.size, 1, "one job id for all callers");
      assert.equal(starters, 1, "exactly one caller started the job; the rest joined");
      assert.equal(server.running.deps.jobs.size, 0, "registry empty again");
    } finally {
      await server.close();
    }
  });

  it("a caller that cancels during processing and comes back joins the running job", async () => {
    const scans: number[] = [];
    const server = await startTestServer({
      files: [FILE],
      onScan: (id) => scans.push(id),
      env: { DOWNLOAD_DELAY_MIN_MS: "700", DOWNLOAD_DELAY_MAX_MS: "700" },
    });
    try {
      const client = server.client();
      const firstStatus = await new Promise<{ jobId: string }>((resolve) => {
        const call: ClientReadableStream<DownloadResponse> = client.download(downloadRequest(FILE.fileId));
        call.on("error", () => undefined);
        call.once("data", (m: DownloadResponse) => {
          call.cancel();
          assert.equal(m.event?.$case, "status");
          resolve({ jobId: m.event.value.jobId });
        });
      });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(server.running.deps.jobs.size, 1, "the job outlives its caller");
      const again = await collectDownload(client, downloadRequest(FILE.fileId));
      assert.equal(again.status.code, status.OK);
      const [first] = statuses(again);
      assert.equal(first?.jobId, firstStatus.jobId);
      assert.equal(first.joinedExistingJob, true);
      assert.ok(first.progressPercent > 0, "reattached mid-way, not from scratch");
      assert.deepEqual(scans, [FILE.fileId], "the work was done once");
      assert.equal(server.running.deps.downloads.size, 0, "no stream left behind");
    } finally {
      await server.close();
    }
  });

  it("callers that join a running job do not look the prepared record up in storage", async () => {
    /** The real fs driver, counting lookups of this file's prepared record. */
    class RecordLookups extends FsObjectStore {
      count = 0;
      override get(key: string): Promise<Buffer | undefined> {
        if (key === preparedRecordKey(FILE.fileId)) this.count += 1;
        return super.get(key);
      }
    }
    const dataDir = await mkdtemp(path.join(tmpdir(), "delineate-lookups-"));
    const store = new RecordLookups(dataDir);
    const server = await startTestServer({
      files: [FILE],
      dataDir,
      store,
      env: { DOWNLOAD_DELAY_MIN_MS: "700", DOWNLOAD_DELAY_MAX_MS: "700" },
    });
    try {
      const client = server.client();
      const first = collectDownload(client, downloadRequest(FILE.fileId));
      while (server.running.deps.jobs.size === 0) await new Promise((r) => setTimeout(r, 10));
      assert.equal(store.count, 1, "the caller that started the job looked once");
      const joiners = await Promise.all(
        Array.from({ length: 5 }, () => collectDownload(client, downloadRequest(FILE.fileId))),
      );
      const results = [await first, ...joiners];
      for (const result of results) {
        assert.equal(result.status.code, status.OK);
        assert.ok(result.bytes.equals(FILE.bytes));
      }
      assert.ok(joiners.every((r) => statuses(r)[0]?.joinedExistingJob === true));
      assert.equal(store.count, 1, "joiners went straight to the job");
    } finally {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("jobs beyond MAX_CONCURRENT_JOBS wait as QUEUED and say so", async () => {
    const files = [makeFile(10_201, 1000), makeFile(10_202, 1000), makeFile(10_203, 1000)];
    const server = await startTestServer({ files, env: { MAX_CONCURRENT_JOBS: "1" } });
    try {
      const client = server.client();
      const results = await Promise.all(files.map((f) => collectDownload(client, downloadRequest(f.fileId))));
      const phases = results.map((r) => statuses(r).map((s) => s.phase));
      for (const r of results) assert.equal(r.status.code, status.OK);
      const queued = phases.filter((p) => p[0] === DownloadPhase.DOWNLOAD_PHASE_QUEUED);
      assert.equal(queued.length, 2, `two jobs queued behind the first: ${JSON.stringify(phases)}`);
      for (const p of queued) {
        assert.ok(p.includes(DownloadPhase.DOWNLOAD_PHASE_PROCESSING), "queued jobs then process");
        assert.equal(p.at(-1), DownloadPhase.DOWNLOAD_PHASE_READY);
      }
      const queuedStatus = results
        .flatMap((r) => statuses(r))
        .find((s) => s.phase === DownloadPhase.DOWNLOAD_PHASE_QUEUED);
      assert.match(queuedStatus!.message, /ahead/);
      assert.ok(
        (queuedStatus!.estimatedRemaining?.seconds ?? 0) * 1000 +
          (queuedStatus!.estimatedRemaining?.nanos ?? 0) / 1e6 >
          0,
      );
    } finally {
      await server.close();
    }
  });

  it("a prepared record survives a restart: the next process streams at once, no new scan", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "delineate-restart-"));
    try {
      const first = await startTestServer({ files: [FILE], dataDir });
      const result = await collectDownload(first.client(), downloadRequest(FILE.fileId));
      assert.equal(result.status.code, status.OK);
      await first.close();
      const record = JSON.parse(
        await readFile(path.join(dataDir, "prepared", `${FILE.fileId}.json`), "utf8"),
      ) as { sha256: string };
      assert.equal(record.sha256, FILE.sha256);

      const scans: number[] = [];
      const second = await startTestServer({ dataDir, onScan: (id) => scans.push(id) });
      try {
        const again = await collectDownload(second.client(), downloadRequest(FILE.fileId));
        assert.equal(again.status.code, status.OK);
        assert.equal(statuses(again)[0]?.phase, DownloadPhase.DOWNLOAD_PHASE_READY);
        assert.deepEqual(scans, []);
        const check = await new Promise((resolve, reject) =>
          second
            .client()
            .checkFile({ fileId: FILE.fileId }, new Metadata(), (e, r) => (e ? reject(e) : resolve(r))),
        );
        assert.deepEqual(check, {
          fileId: FILE.fileId,
          available: true,
          sizeBytes: FILE.bytes.length,
          prepared: true,
          sha256: FILE.sha256,
        });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("PrepareFiles starts jobs, answers once per distinct id in order, and says who joined", async () => {
    const files = [makeFile(10_211, 100), makeFile(10_212, 100)];
    const server = await startTestServer({ files });
    try {
      const client = server.client();
      const prepare = (ids: number[]) =>
        new Promise<{
          files: Array<{
            fileId: number;
            jobId: string;
            joinedExistingJob: boolean;
            phase: number;
            available: boolean;
          }>;
        }>((resolve, reject) =>
          client.prepareFiles({ fileIds: ids }, (e, r) => (e ? reject(e) : resolve(r))),
        );
      const first = await prepare([10_212, 10_211, 10_212, 99_999]);
      assert.deepEqual(
        first.files.map((f) => f.fileId),
        [10_212, 10_211, 99_999],
      );
      assert.ok(first.files[0]!.jobId && !first.files[0]!.joinedExistingJob);
      assert.equal(first.files[2]!.available, false);
      const second = await prepare([10_211]);
      assert.equal(second.files[0]!.jobId, first.files[1]!.jobId);
      assert.equal(second.files[0]!.joinedExistingJob, true);
      // A download joins the job PrepareFiles started.
      const result = await collectDownload(client, downloadRequest(10_211));
      assert.equal(statuses(result)[0]?.jobId, first.files[1]!.jobId);
      const third = await prepare([10_211]);
      assert.deepEqual(third.files[0], {
        fileId: 10_211,
        available: true,
        jobId: "",
        phase: DownloadPhase.DOWNLOAD_PHASE_READY,
        joinedExistingJob: false,
      });
    } finally {
      await server.close();
    }
  });

  it("serves the same stream through the s3 driver (s3rver on loopback)", async () => {
    const s3 = await startS3();
    const store = s3Store(s3.endpoint);
    await store.put(fileKey(FILE.fileId), FILE.bytes, "application/zip");
    const server = await startTestServer({ store });
    try {
      const result = await collectDownload(
        server.client(),
        downloadRequest(FILE.fileId, { readOffset: 3, chunkSizeBytes: 16 * 1024 }),
      );
      assert.equal(result.status.code, status.OK);
      assert.ok(result.bytes.equals(FILE.bytes.subarray(3)));
      const complete = result.messages.at(-1)?.message.event;
      assert.equal(complete?.$case === "complete" && complete.value.sha256, FILE.sha256);
      const record = await store.get(`prepared/${FILE.fileId}.json`);
      assert.ok(record, "the prepared record was written to the bucket");
    } finally {
      await server.close();
      await s3.close();
    }
  });
});
