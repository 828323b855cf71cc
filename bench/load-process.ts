import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import http2 from "node:http2";
import { status, type ServiceError } from "@grpc/grpc-js";
import type { Client as MinioClient } from "minio";
import { createDownloadClient } from "../src/download/client-transport";
import { type DownloadPhase, type DownloadResponse } from "../src/gen/delineate/v1/download_service";
import { download, request, settled, waitForReady } from "./load/download";
import type {
  DedupResult,
  FirstStatusResult,
  LoadTask,
  SmallDownloadsResult,
  TransferResult,
  WaitingStreamsResult,
} from "./load/tasks";
import { send } from "./lib/ipc";
import { percentile } from "./lib/stats";

/** As test/support/s3-server.ts sets up s3rver (not imported: it would load s3rver here too). */
const S3_BUCKET = "downloads";
const S3_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

/** A load generator in its own process: argv[2] is a LoadTask as JSON; the result goes back over IPC. */
async function run(task: LoadTask): Promise<unknown> {
  switch (task.kind) {
    case "grpc-download":
      return grpcDownload(task);
    case "http2-download":
      return http2Download(task.port, task.window);
    case "file-read":
      return fileRead(task.path, task.pieceBytes);
    case "s3-put":
      return s3Put(task.endpoint, task.key, task.path);
    case "s3-get":
      return s3Get(task.endpoint, task.key);
    case "prepare":
      return prepare(task.address, task.fileIds);
    case "slow-download":
      return slowDownload(task.address, task.fileId, task.bytesPerSecond);
    case "waiting-streams":
      return waitingStreams(task);
    case "dedup":
      return dedup(task.address, task.fileId, task.streams);
    case "first-status":
      return firstStatus(task);
    case "small-downloads":
      return smallDownloads(task);
  }
}

function clients(address: string, count: number, window?: number) {
  return Array.from({ length: count }, () =>
    createDownloadClient(address, window === undefined ? {} : { "grpc-node.flow_control_window": window }),
  );
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

function closeAll(list: ReadonlyArray<{ close(): void }>): void {
  for (const c of list) c.close();
}

function assertOk(outcome: { code: status; details: string }, what: string): void {
  if (outcome.code !== status.OK) throw new Error(`${what}: status ${outcome.code} ${outcome.details}`);
}

async function grpcDownload(task: Extract<LoadTask, { kind: "grpc-download" }>): Promise<TransferResult> {
  const [client] = clients(task.address, 1, task.window);
  await waitForReady(client!);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const outcome = await download(client!, request(task.fileId, { chunkSizeBytes: task.chunkSizeBytes }));
  const ms = performance.now() - started;
  const clientCpuMs = cpuMs(process.cpuUsage(cpu));
  client!.close();
  assertOk(outcome, "download");
  if (outcome.bytes !== task.expectBytes)
    throw new Error(`got ${outcome.bytes} of ${task.expectBytes} bytes`);
  return { bytes: outcome.bytes, ms, clientCpuMs };
}

/** Same window as the gRPC client: the stream's initial window and the connection window. */
async function http2Download(port: number, window: number): Promise<TransferResult> {
  const session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: window } });
  await new Promise<void>((resolve, reject) => {
    session.once("remoteSettings", () => resolve());
    session.once("error", reject);
  });
  if (window > 65_535) session.setLocalWindowSize(window);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const bytes = await new Promise<number>((resolve, reject) => {
    let n = 0;
    const stream = session.request({ ":path": "/" });
    stream.on("data", (piece: Buffer) => (n += piece.length));
    stream.on("end", () => resolve(n));
    stream.on("error", reject);
  });
  const ms = performance.now() - started;
  const clientCpuMs = cpuMs(process.cpuUsage(cpu));
  session.close();
  return { bytes, ms, clientCpuMs };
}

async function fileRead(path: string, pieceBytes: number): Promise<TransferResult> {
  const started = performance.now();
  let bytes = 0;
  for await (const piece of createReadStream(path, { highWaterMark: pieceBytes })) {
    bytes += (piece as Buffer).length;
  }
  return { bytes, ms: performance.now() - started };
}

/** Loaded only by the S3 tasks: the other load processes start faster without it. */
async function minio(endpoint: string): Promise<MinioClient> {
  const { Client } = await import("minio");
  const url = new URL(endpoint);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: S3_CREDENTIALS.accessKeyId,
    secretKey: S3_CREDENTIALS.secretAccessKey,
    pathStyle: true,
  });
}

/** One PUT of known size (a Buffer): s3rver has no multipart upload. */
async function s3Put(endpoint: string, key: string, path: string): Promise<TransferResult> {
  const body = await readFile(path);
  const started = performance.now();
  await (await minio(endpoint)).putObject(S3_BUCKET, key, body, body.length);
  return { bytes: body.length, ms: performance.now() - started };
}

async function s3Get(endpoint: string, key: string): Promise<TransferResult> {
  const client = await minio(endpoint);
  await client.statObject(S3_BUCKET, key);
  const started = performance.now();
  let bytes = 0;
  for await (const piece of await client.getObject(S3_BUCKET, key)) bytes += (piece as Buffer).length;
  return { bytes, ms: performance.now() - started };
}

/** Gets every file prepared: a one-byte download waits for the job, which stores the record. */
async function prepare(address: string, fileIds: readonly number[]): Promise<{ prepared: number }> {
  const [client] = clients(address, 1);
  let next = 0;
  const worker = async () => {
    while (next < fileIds.length) {
      const fileId = fileIds[next++]!;
      assertOk(await download(client!, request(fileId, { readLimit: 1 })), `prepare ${fileId}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  client!.close();
  return { prepared: fileIds.length };
}

/** Reads at most bytesPerSecond: pauses the call whenever it is ahead, so HTTP/2 pushes back. */
async function slowDownload(
  address: string,
  fileId: number,
  bytesPerSecond: number,
): Promise<TransferResult> {
  const [client] = clients(address, 1);
  await waitForReady(client!);
  const started = performance.now();
  const call = client!.download(request(fileId));
  let bytes = 0;
  let resumeTimer: NodeJS.Timeout | undefined;
  const code = await new Promise<status>((resolve) => {
    call.on("data", (message: DownloadResponse) => {
      if (message.event?.$case !== "chunk") return;
      bytes += message.event.value.data.length;
      const aheadMs = (bytes / bytesPerSecond) * 1000 - (performance.now() - started);
      if (aheadMs > 5 && resumeTimer === undefined) {
        call.pause();
        resumeTimer = setTimeout(() => {
          resumeTimer = undefined;
          call.resume();
        }, aheadMs);
      }
    });
    call.on("error", () => undefined);
    void settled(call).then((s) => resolve(s.code));
  });
  const ms = performance.now() - started;
  client!.close();
  if (code !== status.OK) throw new Error(`slow download ended with ${code}`);
  return { bytes, ms };
}

/**
 * Opens one stream per file id and keeps them waiting. Lateness is how much longer than the heartbeat
 * interval a stream went without a heartbeat (the first status starts the server's heartbeat timer).
 */
async function waitingStreams(
  task: Extract<LoadTask, { kind: "waiting-streams" }>,
): Promise<WaitingStreamsResult> {
  const pool = clients(task.address, task.channels);
  await Promise.all(pool.map(waitForReady));
  const lateness: number[] = [];
  const firstStatusMs: number[] = [];
  let waiting = 0;
  let failed = 0;
  const calls = task.fileIds.map((fileId, i) => {
    const started = performance.now();
    const call = pool[i % pool.length]!.download(request(fileId));
    let last: number | undefined;
    let lastPhase: DownloadPhase | undefined;
    call.on("data", (message: DownloadResponse) => {
      const event = message.event;
      if (event?.$case !== "status") return;
      const now = performance.now();
      const phase = event.value.phase;
      if (last === undefined) {
        waiting += 1;
        firstStatusMs.push(now - started);
        last = now;
      } else if (phase === lastPhase) {
        // A heartbeat; a status with a new phase is a phase change, sent off the heartbeat schedule.
        lateness.push(Math.max(0, now - last - task.heartbeatMs));
        last = now;
      }
      lastPhase = phase;
    });
    call.on("error", (e: ServiceError) => {
      if (e.code !== status.CANCELLED) failed += 1;
    });
    return call;
  });
  // The hold starts once every stream is waiting, so each one sees several heartbeats.
  const allWaiting = performance.now() + 120_000;
  while (waiting + failed < calls.length && performance.now() < allWaiting) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, task.holdMs));
  for (const call of calls) call.cancel();
  await new Promise((resolve) => setTimeout(resolve, 200));
  closeAll(pool);
  return {
    opened: calls.length,
    waiting,
    allWaitingAfterMs: Math.max(...firstStatusMs),
    heartbeats: lateness.length,
    latenessP50Ms: percentile(lateness, 50),
    latenessP99Ms: percentile(lateness, 99),
    latenessMaxMs: Math.max(...lateness),
    failed,
  };
}

async function dedup(address: string, fileId: number, streams: number): Promise<DedupResult> {
  const pool = clients(address, 4);
  await Promise.all(pool.map(waitForReady));
  const outcomes = await Promise.all(
    Array.from({ length: streams }, (_, i) =>
      download(pool[i % pool.length]!, request(fileId), { hash: true }),
    ),
  );
  closeAll(pool);
  const ok = outcomes.filter((o) => o.code === status.OK && o.sha256 === o.completeSha256);
  return {
    ok: ok.length,
    jobIds: [...new Set(outcomes.map((o) => o.jobId))],
    sha256s: [...new Set(outcomes.map((o) => o.sha256 ?? ""))],
    joined: outcomes.filter((o) => o.joined).length,
  };
}

/** Opens every stream in one turn of the event loop; time from each call's start to its first status. */
async function firstStatus(task: Extract<LoadTask, { kind: "first-status" }>): Promise<FirstStatusResult> {
  const pool = clients(task.address, task.channels);
  await Promise.all(pool.map(waitForReady));
  // Warm both ends' code paths on other files first, as on a server that has been running.
  await Promise.all(
    task.warmupFileIds.map(
      (fileId, i) =>
        new Promise<void>((resolve) => {
          const call = pool[i % pool.length]!.download(request(fileId));
          call.once("data", () => {
            call.cancel();
            resolve();
          });
          call.on("error", () => undefined);
        }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const latencies: number[] = [];
  const calls = task.fileIds.map((fileId, i) => {
    const started = performance.now();
    const call = pool[i % pool.length]!.download(request(fileId));
    call.once("data", () => latencies.push(performance.now() - started));
    call.on("error", () => undefined);
    return call;
  });
  const deadline = performance.now() + 10_000;
  while (latencies.length < calls.length && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  for (const call of calls) call.cancel();
  await new Promise((resolve) => setTimeout(resolve, 200));
  closeAll(pool);
  return {
    streams: calls.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: Math.max(...latencies),
    missing: calls.length - latencies.length,
  };
}

/** `concurrency` loops, each downloading whole files back to back until the time is up. */
async function smallDownloads(
  task: Extract<LoadTask, { kind: "small-downloads" }>,
): Promise<SmallDownloadsResult> {
  const pool = clients(task.address, task.channels);
  await Promise.all(pool.map(waitForReady));
  let completed = 0;
  let failed = 0;
  let next = 0;
  const started = performance.now();
  const end = started + task.durationMs;
  const loop = async (i: number) => {
    const client = pool[i % pool.length]!;
    while (performance.now() < end) {
      const fileId = task.fileIds[next++ % task.fileIds.length]!;
      const outcome = await download(client, request(fileId, { chunkSizeBytes: task.chunkSizeBytes }));
      if (outcome.code === status.OK && outcome.bytes === task.expectBytes) completed += 1;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: task.concurrency }, (_, i) => loop(i)));
  const ms = performance.now() - started;
  closeAll(pool);
  return { completed, failed, ms };
}

const task = JSON.parse(process.argv[2] ?? "{}") as LoadTask;
run(task).then(
  (result) => {
    send({ kind: "result", result });
    process.disconnect?.();
  },
  (error: unknown) => {
    send({ kind: "error", message: error instanceof Error ? error.message : String(error) });
    process.disconnect?.();
  },
);
