import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { status, type Metadata, type ServiceError } from "@grpc/grpc-js";
import type { DownloadServiceClient } from "../../src/gen/delineate/v1/download_service";
import { makeFile } from "../support/files";
import { trackSuiteResources } from "../support/no-leaks";
import { startTestServer, withKey, type TestServer } from "../support/test-server";

const FILE = makeFile(10_030, 10_000);

function checkFile(client: DownloadServiceClient, metadata: Metadata): Promise<ServiceError | null> {
  return new Promise((resolve) =>
    client.checkFile({ fileId: FILE.fileId }, metadata, (error) => resolve(error)),
  );
}

describe("API_KEYS_FILE on a running server", () => {
  const resources = trackSuiteResources();
  let dir: string;
  let server: TestServer;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "delineate-keys-"));
    await writeFile(path.join(dir, "keys"), "# rotated 2026-11\nfile-key\n");
    server = await startTestServer({
      files: [FILE],
      env: { API_KEYS: "env-key", API_KEYS_FILE: path.join(dir, "keys") },
    });
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
    await resources.assertClean();
  });

  it("accepts keys from the file and from API_KEYS, in either header; refuses others", async () => {
    const client = server.client();
    assert.equal(await checkFile(client, withKey("file-key")), null);
    assert.equal(await checkFile(client, withKey("file-key", "x-api-key")), null);
    assert.equal(await checkFile(client, withKey("env-key")), null);
    assert.equal(
      (await checkFile(client, withKey("# rotated 2026-11", "x-api-key")))?.code,
      status.UNAUTHENTICATED,
    );
    assert.equal((await checkFile(client, withKey("other")))?.code, status.UNAUTHENTICATED);
  });
});
