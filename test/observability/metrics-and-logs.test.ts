import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { credentials, Metadata, status, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import winston from "winston";
import { loadConfig } from "../../src/config/config";
import {
  DownloadServiceClient,
  type CheckFileResponse,
  type DownloadResponse,
} from "../../src/gen/delineate/v1/download_service";
import { startServer, type RunningServer } from "../../src/server/start-server";
import { S3ObjectStore } from "../../src/storage/s3-object-store";
import { collectDownload, downloadRequest } from "../support/collect";
import { makeFile, writeToDataDir } from "../support/files";
import { freePort } from "../support/free-port";
import { httpGet, parseMetrics, sumOf } from "../support/metrics-text";
import { trackSuiteResources } from "../support/no-leaks";
import { startTestServer, TEST_ENV, type TestServer } from "../support/test-server";

const FILE = makeFile(20_001, 700 * 1024 + 5);
const SLOW = makeFile(20_002, 64 * 1024);
const KEY = "observability-test-key";
const DOWNLOAD = {
  grpc_type: "server_stream",
  grpc_service: "delineate.v1.DownloadService",
  grpc_method: "Download",
};

interface CallOutcome {
  readonly headers: Metadata | undefined;
  readonly status: StatusObject;
  readonly messages: DownloadResponse[];
}

/** A Download that keeps the response headers too (collectDownload does not). */
function downloadWithHeaders(client: DownloadServiceClient, fileId: number, metadata: Metadata) {
  return new Promise<CallOutcome>((resolve) => {
    const call = client.download(downloadRequest(fileId), metadata);
    let headers: Metadata | undefined;
    const messages: DownloadResponse[] = [];
    call.on("metadata", (m: Metadata) => (headers = m));
    call.on("data", (m: DownloadResponse) => messages.push(m));
    call.on("error", () => undefined);
    call.on("status", (s: StatusObject) => setImmediate(() => resolve({ headers, status: s, messages })));
  });
}

describe("metrics, request ids and call logs", () => {
  const resources = trackSuiteResources();
  const lines: Array<Record<string, unknown>> = [];
  let running: RunningServer;
  let client: DownloadServiceClient;
  let dataDir: string;
  let metricsPort: number;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "delineate-obs-"));
    await writeToDataDir(dataDir, [FILE, SLOW]);
    metricsPort = await freePort();
    const config = loadConfig({
      ...TEST_ENV,
      DATA_DIR: dataDir,
      METRICS_HOST: "127.0.0.1",
      METRICS_PORT: String(metricsPort),
      API_KEYS: KEY,
      // Long enough that a caller arriving a few 100 ms later still joins (noisy 2-core machines).
      DOWNLOAD_DELAY_MIN_MS: "800",
      DOWNLOAD_DELAY_MAX_MS: "800",
    });
    // Every JSON line the server logs, as written to stdout in production.
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n")) {
          if (line.trim() !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    });
    const logger = winston.createLogger({
      level: "debug",
      format: winston.format.json(),
      transports: [new winston.transports.Stream({ stream: sink })],
    });
    running = await startServer(config, { logger });
    client = new DownloadServiceClient(`127.0.0.1:${running.port}`, credentials.createInsecure());
  });

  after(async () => {
    client.close();
    await running.shutdown();
    await rm(dataDir, { recursive: true, force: true });
    await resources.assertClean();
  });

  const withKey = (requestId?: string) => {
    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${KEY}`);
    if (requestId !== undefined) metadata.set("x-request-id", requestId);
    return metadata;
  };

  it("counts two joined downloads, their bytes, codes and job, on /metrics", async () => {
    assert.equal(running.metricsPort, metricsPort);
    const [a, b] = await Promise.all([
      collectDownload(client, downloadRequest(FILE.fileId), { metadata: withKey() }),
      collectDownload(client, downloadRequest(FILE.fileId), { metadata: withKey() }),
    ]);
    assert.equal(a.status.code, status.OK, a.status.details);
    assert.equal(b.status.code, status.OK, b.status.details);
    const missing = await collectDownload(client, downloadRequest(99_999), { metadata: withKey() });
    assert.equal(missing.status.code, status.NOT_FOUND);
    const unauthenticated = await collectDownload(client, downloadRequest(FILE.fileId));
    assert.equal(unauthenticated.status.code, status.UNAUTHENTICATED);
    await new Promise<CheckFileResponse>((resolve, reject) =>
      client.checkFile({ fileId: FILE.fileId }, withKey(), (e: ServiceError | null, r) =>
        e ? reject(e) : resolve(r),
      ),
    );

    const { status: httpStatus, text } = await httpGet(metricsPort);
    assert.equal(httpStatus, 200);
    const samples = parseMetrics(text);
    assert.equal(sumOf(samples, "delineate_bytes_sent_total"), 2 * FILE.bytes.length);
    assert.equal(sumOf(samples, "grpc_server_started_total", DOWNLOAD), 4);
    assert.equal(sumOf(samples, "grpc_server_handled_total", { ...DOWNLOAD, grpc_code: "OK" }), 2);
    assert.equal(sumOf(samples, "grpc_server_handled_total", { ...DOWNLOAD, grpc_code: "NotFound" }), 1);
    assert.equal(
      sumOf(samples, "grpc_server_handled_total", { ...DOWNLOAD, grpc_code: "Unauthenticated" }),
      1,
    );
    assert.equal(
      sumOf(samples, "grpc_server_handled_total", {
        grpc_method: "CheckFile",
        grpc_type: "unary",
        grpc_code: "OK",
      }),
      1,
    );
    assert.equal(sumOf(samples, "grpc_server_handling_seconds_count", { ...DOWNLOAD, grpc_code: "OK" }), 2);
    assert.ok(
      sumOf(samples, "grpc_server_msg_sent_total", DOWNLOAD) > 2 * 4,
      "status, metadata, chunks, complete",
    );
    assert.equal(sumOf(samples, "delineate_downloads_total", { outcome: "completed" }), 2);
    assert.equal(sumOf(samples, "delineate_downloads_total", { outcome: "not_found" }), 1);
    assert.equal(
      sumOf(samples, "delineate_job_joins_total"),
      1,
      "the second caller joined the first one's job",
    );
    assert.equal(sumOf(samples, "delineate_jobs_total", { outcome: "ready" }), 1, "one job for both callers");
    assert.equal(sumOf(samples, "delineate_job_processing_seconds_count", { outcome: "ready" }), 1);
    assert.ok(
      sumOf(samples, "delineate_job_processing_seconds_sum") >= 0.8,
      "processing took the 800 ms delay",
    );
    assert.equal(sumOf(samples, "delineate_time_to_first_status_seconds_count"), 2);
    assert.equal(sumOf(samples, "delineate_time_to_first_byte_seconds_count"), 2);
    assert.equal(sumOf(samples, "delineate_active_streams"), 0, "every stream ended");
    assert.equal(sumOf(samples, "delineate_jobs", { phase: "processing" }), 0);
    assert.ok(
      sumOf(samples, "delineate_storage_request_seconds_count", { operation: "stat", outcome: "ok" }) >= 3,
    );
    assert.ok(
      sumOf(samples, "delineate_storage_request_seconds_count", { operation: "read", outcome: "ok" }) >= 3,
    );
    assert.equal(sumOf(samples, "delineate_storage_circuit_state", { state: "closed" }), 1);
    assert.equal(sumOf(samples, "delineate_storage_circuit_state", { state: "open" }), 0);
    assert.equal(sumOf(samples, "delineate_job_processing_max_seconds"), 0.8);
    const volume = sumOf(samples, "delineate_data_volume_used_ratio");
    assert.ok(volume > 0 && volume <= 1, `volume fill ${volume}`);
    assert.ok(sumOf(samples, "process_cpu_seconds_total") > 0, "default process metrics");
    assert.ok(samples.some((s) => s.name === "nodejs_eventloop_lag_seconds"));
    // Bounded labels: no file id anywhere in a label value.
    const ids = [String(FILE.fileId), "99999"];
    for (const sample of samples) {
      for (const value of Object.values(sample.labels))
        assert.ok(!ids.includes(value), `${sample.name} has a file id`);
    }
    assert.equal((await httpGet(metricsPort, "/other")).status, 404);
  });

  it("answers with the caller's x-request-id when sane, else a new UUID (also on errors)", async () => {
    const ok = await downloadWithHeaders(client, FILE.fileId, withKey("req-42.a:b_c"));
    assert.equal(ok.status.code, status.OK);
    assert.deepEqual(ok.headers?.get("x-request-id"), ["req-42.a:b_c"]);

    const insane = await downloadWithHeaders(client, FILE.fileId, withKey("no spaces allowed!"));
    const replaced = insane.headers?.get("x-request-id")[0];
    assert.match(String(replaced), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    // Errors before any message go out trailers-only: the id travels with the status.
    const missing = await downloadWithHeaders(client, 99_999, withKey("missing-1"));
    assert.equal(missing.status.code, status.NOT_FOUND);
    const fromError =
      missing.headers?.get("x-request-id")[0] ?? missing.status.metadata.get("x-request-id")[0];
    assert.equal(fromError, "missing-1");

    const rejected = await downloadWithHeaders(client, FILE.fileId, new Metadata());
    assert.equal(rejected.status.code, status.UNAUTHENTICATED);
    const rejectedId =
      rejected.headers?.get("x-request-id")[0] ?? rejected.status.metadata.get("x-request-id")[0];
    assert.ok(typeof rejectedId === "string" && rejectedId.length > 0);
  });

  it("counts a caller that leaves as Canceled and an expired deadline as DeadlineExceeded", async () => {
    const call = client.download(downloadRequest(SLOW.fileId), withKey("leaver-1"));
    call.on("error", () => undefined);
    await new Promise<void>((resolve) => call.once("data", () => resolve()));
    call.cancel();
    const late = await collectDownload(client, downloadRequest(SLOW.fileId), {
      metadata: withKey(),
      callOptions: { deadline: Date.now() + 150 },
    });
    assert.equal(late.status.code, status.DEADLINE_EXCEEDED);
    let samples = parseMetrics((await httpGet(metricsPort)).text);
    for (let i = 0; i < 50 && sumOf(samples, "delineate_active_streams") !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      samples = parseMetrics((await httpGet(metricsPort)).text);
    }
    assert.equal(sumOf(samples, "delineate_active_streams"), 0, "every stream ended");
    assert.equal(sumOf(samples, "grpc_server_handled_total", { ...DOWNLOAD, grpc_code: "Canceled" }), 1);
    assert.equal(
      sumOf(samples, "grpc_server_handled_total", { ...DOWNLOAD, grpc_code: "DeadlineExceeded" }),
      1,
    );
    assert.equal(sumOf(samples, "delineate_downloads_total", { outcome: "cancelled" }), 1);
    assert.equal(sumOf(samples, "delineate_downloads_total", { outcome: "deadline_exceeded" }), 1);
    assert.equal(lines.find((l) => l.request_id === "leaver-1")?.code, "Canceled");
  });

  it("logs one line per call at its end, with fingerprint not key, and job lifecycle lines", () => {
    const ended = lines.filter((l) => l.message === "call ended");
    const ok = ended.find((l) => l.request_id === "req-42.a:b_c");
    assert.ok(ok, "a line for the request");
    assert.equal(ok.method, "/delineate.v1.DownloadService/Download");
    assert.equal(ok.file_id, FILE.fileId);
    assert.equal(ok.code, "OK");
    assert.equal(ok.bytes, FILE.bytes.length);
    assert.equal(typeof ok.duration_ms, "number");
    assert.match(String(ok.peer), /127\.0\.0\.1/);
    assert.match(String(ok.principal), /^key:[0-9a-f]{12}$/);
    const missing = ended.find((l) => l.request_id === "missing-1");
    assert.equal(missing?.code, "NotFound");
    assert.equal(missing?.file_id, 99_999);
    // The first two downloads share one job: both lines name it.
    const withJob = ended.filter((l) => typeof l.job_id === "string");
    assert.ok(withJob.length >= 2);
    assert.equal(new Set(withJob.slice(0, 2).map((l) => l.job_id)).size, 1);
    const jobLines = lines.filter((l) => l.job_id === withJob[0]!.job_id).map((l) => l.message);
    assert.ok(jobLines.includes("job started") && jobLines.includes("job ready"), jobLines.join(","));
    for (const line of lines) assert.ok(!JSON.stringify(line).includes(KEY), "the raw key was logged");
  });
});

describe("storage metrics when storage is down", () => {
  const resources = trackSuiteResources();
  let server: TestServer;
  before(async () => {
    // S3 on a loopback port nobody listens on: every call is refused (a real failure, not a mock).
    const store = new S3ObjectStore({
      endpoint: new URL("http://127.0.0.1:1"),
      region: "us-east-1",
      accessKeyId: "x",
      secretAccessKey: "y",
      bucket: "downloads",
      forcePathStyle: true,
    });
    server = await startTestServer({
      store,
      env: { STORAGE_BREAKER_THRESHOLD: "2", STORAGE_RETRY_DELAYS_MS: "5,5" },
    });
  });
  after(async () => {
    await server.close();
    await resources.assertClean();
  });

  it("counts retries, failed storage calls, UNAVAILABLE answers and the open breaker", async () => {
    const client = server.client();
    for (let i = 0; i < 3; i++) {
      const error = await new Promise<ServiceError | null>((resolve) =>
        client.checkFile({ fileId: 20_003 }, (e: ServiceError | null) => resolve(e)),
      );
      assert.equal(error?.code, status.UNAVAILABLE);
    }
    const samples = parseMetrics(await server.running.metrics.registry.metrics());
    assert.ok(
      sumOf(samples, "delineate_storage_retries_total", { operation: "stat" }) >= 1,
      "retries counted",
    );
    assert.equal(
      sumOf(samples, "delineate_storage_request_seconds_count", { operation: "stat", outcome: "error" }),
      3,
    );
    assert.equal(sumOf(samples, "delineate_storage_request_seconds_count", { outcome: "ok" }), 0);
    assert.equal(sumOf(samples, "delineate_storage_circuit_state", { state: "open" }), 1);
    assert.equal(sumOf(samples, "delineate_storage_circuit_state", { state: "closed" }), 0);
    assert.equal(
      sumOf(samples, "grpc_server_handled_total", { grpc_method: "CheckFile", grpc_code: "Unavailable" }),
      3,
    );
  });
});
