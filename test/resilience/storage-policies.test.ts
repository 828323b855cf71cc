import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { before, describe, it } from "node:test";
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import type { CheckFileResponse, DownloadServiceClient } from "../../src/gen/delineate/v1/download_service";
import { STORAGE_HEALTH_SERVICE } from "../../src/resilience/storage-health";
import { SERVICE_NAME } from "../../src/server/grpc-server";
import { collectDownload, downloadRequest } from "../support/collect";
import { makeFile } from "../support/files";
import { checkHealth } from "../support/s3-files";
import { useStorageLab } from "../support/storage-lab";

const FILE = makeFile(30_001, 64 * 1024);

interface Answer {
  readonly error: ServiceError | null;
  readonly response?: CheckFileResponse;
  readonly ms: number;
}

function checkFile(client: DownloadServiceClient, fileId: number): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) =>
    client.checkFile({ fileId }, new Metadata(), (error, response) =>
      resolve({ error, response, ms: performance.now() - started }),
    ),
  );
}

function retryAfter(error: ServiceError | null): number {
  return Number(error?.metadata.get("retry-after-ms")[0]);
}

describe("storage policies through the s3 driver, s3rver and the fault proxy", () => {
  let client: DownloadServiceClient;
  const lab = useStorageLab({ files: [FILE], env: { DOWNLOAD_DELAY_ENABLED: "false" } });
  before(() => {
    client = lab().server.client();
  });

  it("answers through the proxy while storage is healthy", async () => {
    const answer = await checkFile(client, FILE.fileId);
    assert.equal(answer.error, null);
    assert.equal(answer.response?.sizeBytes, FILE.bytes.length);
  });

  it("retries at once, then after each configured delay, then answers UNAVAILABLE with retry-after-ms", async () => {
    const proxy = lab().proxies[0]!;
    proxy.setMode({ kind: "refuse" });
    const before = proxy.connections;
    const answer = await checkFile(client, FILE.fileId);
    assert.equal(answer.error?.code, status.UNAVAILABLE);
    assert.equal(answer.error.details, "storage unavailable, retry later");
    assert.ok(retryAfter(answer.error) > 0, "retry-after-ms trailer");
    const times = proxy.connectionTimes.slice(before);
    assert.equal(times.length, 4, "first attempt plus one retry per configured delay (50,100,200)");
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Lower bounds only: each retry waited at least its delay (a loaded machine may wait longer).
    [50, 100, 200].forEach((delay, i) => assert.ok(gaps[i]! >= delay - 5, `gap ${i}: ${gaps[i]} ms`));
  });

  it("opens after 5 consecutive failures, then fails fast without touching storage", async () => {
    const proxy = lab().proxies[0]!;
    const before = proxy.connections;
    const opening = await checkFile(client, FILE.fileId);
    assert.equal(opening.error?.code, status.UNAVAILABLE);
    // 4 failures so far; this call's first attempt is the 5th, which opens the breaker.
    assert.equal(
      proxy.connections - before,
      1,
      "the 5th failure opened it; no retry against an open breaker",
    );
    const touched = proxy.connections;
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const fast = await checkFile(client, FILE.fileId);
      assert.equal(fast.error?.code, status.UNAVAILABLE);
      times.push(fast.ms);
      const wait = retryAfter(fast.error);
      assert.ok(wait > 0 && wait <= 1500, `retry-after-ms ${wait} points at the half-open time`);
    }
    // The proof is the untouched storage; the median only has to be far below one 600 ms attempt.
    const median = times.sort((a, b) => a - b)[5]!;
    assert.ok(median < 150, `open breaker answered in ${median} ms (median)`);
    const download = await collectDownload(client, downloadRequest(FILE.fileId));
    assert.equal(download.status.code, status.UNAVAILABLE);
    assert.equal(proxy.connections, touched, "no connection reached storage while open");
  });

  it("reports the outage on the storage health name only; the process stays SERVING", async () => {
    const { address } = lab().server;
    assert.equal(await checkHealth(address, STORAGE_HEALTH_SERVICE), "NOT_SERVING");
    assert.equal(await checkHealth(address, ""), "SERVING");
    assert.equal(await checkHealth(address, SERVICE_NAME), "SERVING");
  });

  it("lets one trial call through after the half-open delay and closes on success", async () => {
    const proxy = lab().proxies[0]!;
    proxy.setMode({ kind: "pass" });
    await sleep(1600);
    const trial = await checkFile(client, FILE.fileId);
    assert.equal(trial.error, null, trial.error?.details);
    assert.equal(await checkHealth(lab().server.address, STORAGE_HEALTH_SERVICE), "SERVING");
    const download = await collectDownload(client, downloadRequest(FILE.fileId));
    assert.equal(download.status.code, status.OK, download.status.details);
    assert.ok(download.bytes.equals(FILE.bytes));
  });

  it("a failed trial opens it again for another half-open period", async () => {
    const proxy = lab().proxies[0]!;
    proxy.setMode({ kind: "refuse" });
    for (let i = 0; i < 2; i++) await checkFile(client, FILE.fileId); // 4 + 1 failures: open
    await sleep(1600);
    const before = proxy.connections;
    const trial = await checkFile(client, FILE.fileId);
    assert.equal(trial.error?.code, status.UNAVAILABLE);
    assert.equal(proxy.connections - before, 1, "exactly one trial call touched storage");
    const after = await checkFile(client, FILE.fileId);
    assert.ok(retryAfter(after.error) > 1000, "open again for a full period");
    proxy.setMode({ kind: "pass" });
  });
});

describe("per-call timeout against a storage that accepts and hangs", () => {
  const lab = useStorageLab({ files: [FILE], env: { DOWNLOAD_DELAY_ENABLED: "false" } });

  it("gives up on each attempt after STORAGE_TIMEOUT_MS and answers UNAVAILABLE", async () => {
    const proxy = lab().proxies[0]!;
    proxy.setMode({ kind: "hang" });
    const before = proxy.connections;
    const answer = await checkFile(lab().server.client(), FILE.fileId);
    assert.equal(answer.error?.code, status.UNAVAILABLE);
    // 4 attempts of 600 ms plus 350 ms of waits; generous upper bound for a loaded machine.
    assert.ok(answer.ms >= 4 * 600, `answered after ${answer.ms} ms`);
    assert.ok(answer.ms < 15_000, `answered after ${answer.ms} ms`);
    assert.ok(proxy.connections - before >= 1, "storage was reached");
    proxy.setMode({ kind: "pass" });
    // The hung sockets are destroyed by the driver's idle timeout (checked by assertClean).
  });
});
