import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { DelineateClient, DownloadError, type DownloadEvent } from "../../clients/node";
import { makeFile } from "../support/files";
import { trackSuiteResources } from "../support/no-leaks";
import { runCliProcess } from "../support/run-cli";
import { startTestServer, type TestServer } from "../support/test-server";

const FILE = makeFile(60_001, 100 * 1024);
const KEY = "client-test-key-0123456789";

describe("clients with API keys on", () => {
  const resources = trackSuiteResources();
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await startTestServer({ files: [FILE], env: { API_KEYS: KEY } });
    dir = await mkdtemp(path.join(tmpdir(), "delineate-key-"));
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
    await resources.assertClean();
  });

  it("sends the key as a Bearer token and the file id header", async () => {
    const client = new DelineateClient(server.address, { apiKey: KEY });
    try {
      const metadata = client.metadata(FILE.fileId);
      assert.deepEqual(metadata.get("authorization"), [`Bearer ${KEY}`]);
      assert.deepEqual(metadata.get("x-file-id"), [String(FILE.fileId)]);
      const result = await client.downloadFile(FILE.fileId, path.join(dir, "ok.zip"));
      assert.equal(result.sha256, FILE.sha256);
    } finally {
      client.close();
    }
  });

  it("fails UNAUTHENTICATED at once without a key, and does not retry", async () => {
    const client = new DelineateClient(server.address);
    const events: DownloadEvent[] = [];
    try {
      await assert.rejects(
        client.downloadFile(FILE.fileId, path.join(dir, "nokey.zip"), { onEvent: (e) => events.push(e) }),
        (error: unknown) => error instanceof DownloadError && error.code === status.UNAUTHENTICATED,
      );
      await assert.rejects(client.checkFile(FILE.fileId), { code: status.UNAUTHENTICATED });
    } finally {
      client.close();
    }
    assert.equal(events.filter((e) => e.type === "retry").length, 0);
  });

  it("CLI takes the key from DELINEATE_API_KEY", async () => {
    const env = { DELINEATE_SERVER: server.address };
    const without = await runCliProcess(["check", String(FILE.fileId)], env);
    assert.equal(without.code, 1);
    assert.match(without.stderr, /delineate: .*(key|auth)/i);
    const withKey = await runCliProcess(["check", String(FILE.fileId)], { ...env, DELINEATE_API_KEY: KEY });
    assert.equal(withKey.code, 0, withKey.stderr);
    assert.match(withKey.stdout, /^60001 available 102400 bytes/);
  });
});
