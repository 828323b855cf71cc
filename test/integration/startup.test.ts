import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { credentials, Metadata, status } from "@grpc/grpc-js";
import { DownloadServiceClient, type CheckFileResponse } from "../../src/gen/delineate/v1/download_service";
import { SAMPLE_FILES } from "../../src/storage/sample-files";
import { MAIN, startChildServer } from "../support/child-server";
import { collectDownload, downloadRequest } from "../support/collect";
import { HealthClient, servingStatusName } from "../support/health-client";
import { assertNoLeaks } from "../support/no-leaks";
import { startTestServer } from "../support/test-server";

function runMain(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH, ...env } });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.on("exit", (code) => resolve({ code, stderr, stdout }));
  });
}

describe("start-up", () => {
  assertNoLeaks();

  it("refuses bad configuration with a clear message naming each variable, exit code 2", async () => {
    const result = await runMain({
      GRPC_PORT: "abc",
      DOWNLOAD_DELAY_ENABLED: "maybe",
      DOWNLOAD_DELAY_MIN_MS: "5000",
      DOWNLOAD_DELAY_MAX_MS: "100",
      STORAGE_DRIVER: "ftp",
      CHUNK_SIZE_BYTES: "1",
    });
    assert.equal(result.code, 2);
    for (const name of [
      "GRPC_PORT",
      "DOWNLOAD_DELAY_ENABLED",
      "DOWNLOAD_DELAY_MIN_MS",
      "STORAGE_DRIVER",
      "CHUNK_SIZE_BYTES",
    ]) {
      assert.match(result.stderr, new RegExp(name), `stderr names ${name}`);
    }
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    assert.equal(result.stdout, "", "nothing started");
  });

  it("requires S3 settings with the s3 driver", async () => {
    const result = await runMain({ STORAGE_DRIVER: "s3" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /S3_ENDPOINT is required/);
    assert.match(result.stderr, /S3_ACCESS_KEY_ID is required/);
  });

  it("npm start's embedded default: an empty data dir gets the sample files, served at once, health SERVING", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "delineate-start-"));
    const server = await startChildServer({ DATA_DIR: dataDir, DOWNLOAD_DELAY_ENABLED: "false" });
    const client = new DownloadServiceClient(server.address, credentials.createInsecure());
    const health = new HealthClient(server.address, credentials.createInsecure());
    try {
      assert.deepEqual(
        (await readdir(path.join(dataDir, "downloads"))).sort(),
        SAMPLE_FILES.map((f) => `${f.fileId}.zip`).sort(),
      );
      for (const service of ["", "delineate.v1.DownloadService"]) {
        const answer = await new Promise<{ status: number | string }>((resolve, reject) =>
          health.check({ service }, (e, r) => (e ? reject(e) : resolve(r!))),
        );
        assert.equal(servingStatusName(answer.status), "SERVING");
      }
      const [first] = SAMPLE_FILES;
      const check = await new Promise<CheckFileResponse>((resolve, reject) =>
        client.checkFile({ fileId: first!.fileId }, new Metadata(), (e, r) => (e ? reject(e) : resolve(r))),
      );
      assert.equal(check.available, true);
      assert.equal(check.sizeBytes, first!.sizeBytes);
      const result = await collectDownload(client, downloadRequest(first!.fileId));
      assert.equal(result.status.code, status.OK);
      assert.equal(result.bytes.length, first!.sizeBytes);
      assert.ok(server.logs.some((l) => l.message === "created sample files"));
      assert.ok(server.logs.some((l) => l.message === "API_KEYS is empty: authentication is off"));
    } finally {
      client.close();
      health.close();
      server.process.kill("SIGTERM");
      await server.exited;
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("health answers NOT_FOUND for an unknown service, and needs no API key", async () => {
    const server = await startTestServer({ env: { API_KEYS: "k" } });
    const health = new HealthClient(server.address, credentials.createInsecure());
    try {
      const known = await new Promise<{ status: number | string }>((resolve, reject) =>
        health.check({ service: "" }, (e, r) => (e ? reject(e) : resolve(r!))),
      );
      assert.equal(servingStatusName(known.status), "SERVING");
      const unknown = await new Promise<number | undefined>((resolve) =>
        health.check({ service: "nope" }, (e) => resolve(e?.code)),
      );
      assert.equal(unknown, status.NOT_FOUND);
    } finally {
      health.close();
      await server.close();
    }
  });
});
