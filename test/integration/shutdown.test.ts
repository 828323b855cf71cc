import assert from "node:assert/strict";
import { mkdtemp, rm, stat, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { credentials, Metadata, status, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import {
  DownloadPhase,
  DownloadServiceClient,
  type DownloadResponse,
} from "../../src/gen/delineate/v1/download_service";
import { HealthClient, servingStatusName } from "../support/health-client";
import { downloadRequest } from "../support/collect";
import { makeFile, writeToDataDir } from "../support/files";
import { startChildServer } from "../support/child-server";

const WAITING = makeFile(10_400, 1000);
const SENDING = makeFile(10_401, 32 * 1024 * 1024);
const GRACE_MS = 1500;

describe("graceful shutdown on SIGTERM", () => {
  it("NOT_SERVING, waiting streams DRAINING+UNAVAILABLE at once, sending streams after the grace, then exit", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "delineate-drain-"));
    await writeToDataDir(dataDir, [WAITING, SENDING]);
    // SENDING is already prepared (a record for its current etag), so it streams at once.
    const s = await stat(path.join(dataDir, "downloads", `${SENDING.fileId}.zip`));
    await mkdir(path.join(dataDir, "prepared"));
    await writeFile(
      path.join(dataDir, "prepared", `${SENDING.fileId}.json`),
      JSON.stringify({
        fileId: SENDING.fileId,
        sizeBytes: SENDING.bytes.length,
        sha256: SENDING.sha256,
        etag: `${s.size.toString(16)}-${Math.trunc(s.mtimeMs).toString(16)}`,
        preparedAt: new Date().toISOString(),
        processingMs: 1,
      }),
    );
    const server = await startChildServer({
      DATA_DIR: dataDir,
      SEED_SAMPLE_DATA: "false",
      DOWNLOAD_DELAY_MIN_MS: "60000",
      DOWNLOAD_DELAY_MAX_MS: "60000",
      HEARTBEAT_INTERVAL_MS: "200",
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
    });
    const client = new DownloadServiceClient(server.address, credentials.createInsecure());
    const health = new HealthClient(server.address, credentials.createInsecure());
    try {
      // A waiting stream.
      const waiting = client.download(downloadRequest(WAITING.fileId));
      const waitingMessages: DownloadResponse[] = [];
      const waitingEnd = endOf(waiting, waitingMessages);
      await new Promise((resolve) => waiting.once("data", resolve));

      // A sending stream whose reader takes one message every 20 ms (~12 MiB/s): too slow to finish the
      // 32 MiB within the grace. Just before the grace ends it reads at full speed again, because
      // grpc-js clients drop messages still buffered when an error status arrives (grpc-node#2764).
      const sending = client.download(downloadRequest(SENDING.fileId));
      const sendingMessages: DownloadResponse[] = [];
      const sendingEnd = endOf(sending, sendingMessages);
      let slowUntil = Infinity;
      sending.on("data", () => {
        if (performance.now() > slowUntil) return;
        sending.pause();
        setTimeout(() => sending.resume(), 20);
      });
      await new Promise((resolve) => setTimeout(resolve, 300));

      // A health watcher.
      const watch = health.watch({ service: "" });
      const watched: string[] = [];
      watch.on("data", (r: { status: number }) => watched.push(servingStatusName(r.status)));
      const watchEnd = new Promise<void>((resolve) =>
        watch.on("status", () => resolve()).on("error", () => undefined),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(watched, ["SERVING"]);

      const signalledAt = performance.now();
      slowUntil = signalledAt + GRACE_MS;
      server.process.kill("SIGTERM");

      const w = await waitingEnd;
      const waitingEndedAfter = w.at - signalledAt;
      assert.equal(w.status.code, status.UNAVAILABLE);
      assert.ok(Number(w.status.metadata.get("retry-after-ms")[0]) >= 0, "retry-after-ms trailer");
      const last = waitingMessages.at(-1);
      assert.equal(last?.event?.$case, "status");
      assert.equal(last.event.value.phase, DownloadPhase.DOWNLOAD_PHASE_DRAINING);
      assert.match(last.event.value.message, /reconnect/);
      assert.ok(
        waitingEndedAfter < GRACE_MS / 2,
        `waiting stream ended ${waitingEndedAfter} ms after SIGTERM`,
      );

      const sEnd = await sendingEnd;
      assert.equal(sEnd.status.code, status.UNAVAILABLE);
      assert.ok(sEnd.at - signalledAt >= GRACE_MS - 100, "sending stream was allowed the grace period");
      const chunks = sendingMessages.flatMap((m) => (m.event?.$case === "chunk" ? [m.event.value] : []));
      const received = chunks.reduce((n, c) => n + c.data.length, 0);
      assert.ok(received > 0 && received < SENDING.bytes.length);
      const drain = sendingMessages.at(-1);
      assert.equal(drain?.event?.$case, "status");
      assert.equal(drain.event.value.phase, DownloadPhase.DOWNLOAD_PHASE_DRAINING);
      assert.match(
        drain.event.value.message,
        new RegExp(`read_offset ${received}\\b`),
        "says where to resume",
      );

      await watchEnd;
      assert.equal(watched.at(-1), "NOT_SERVING");

      const exit = await server.exited;
      const exitedAfter = performance.now() - signalledAt;
      assert.equal(exit.code, 0);
      assert.ok(exitedAfter < GRACE_MS + 3000, `exited ${exitedAfter} ms after SIGTERM`);

      // Nobody listens any more: a new call is refused.
      const refused = await new Promise<ServiceError | null>((resolve) =>
        client.checkFile({ fileId: WAITING.fileId }, new Metadata(), { deadline: Date.now() + 2000 }, (e) =>
          resolve(e),
        ),
      );
      assert.equal(refused?.code, status.UNAVAILABLE);
    } finally {
      client.close();
      health.close();
      if (server.process.exitCode === null) server.process.kill("SIGKILL");
      await server.exited;
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

/** Resolves once the status has come and every message before it has been read ('end'). */
function endOf(
  call: NodeJS.EventEmitter,
  messages: DownloadResponse[],
): Promise<{ status: StatusObject; at: number }> {
  call.on("data", (m: DownloadResponse) => messages.push(m));
  call.on("error", () => undefined);
  const status = new Promise<StatusObject>((resolve) => call.on("status", resolve));
  const at = new Promise<number>((resolve) => call.on("status", () => resolve(performance.now())));
  const ended = new Promise<void>((resolve) => call.on("end", resolve));
  return Promise.all([status, at, ended]).then(([s, t]) => ({ status: s, at: t }));
}
