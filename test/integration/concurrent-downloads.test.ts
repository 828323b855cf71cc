import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { createDownloadClient } from "../../src/download/client-transport";
import type { DownloadServiceClient } from "../../src/gen/delineate/v1/download_service";
import { collectDownload, downloadRequest } from "../support/collect";
import { makeFile, sha256 } from "../support/files";
import { trackSuiteResources } from "../support/no-leaks";
import { startTestServer, type TestServer } from "../support/test-server";

// Different sizes, so chunk boundaries and the last short chunk differ between files.
const FILES = Array.from({ length: 6 }, (_, i) => makeFile(11_000 + i, 1024 * 1024 + i * 70_001));

/**
 * The server serializes chunks into one reused buffer (download-response-codec): this proves that
 * many interleaved streams of different files still arrive byte-exact, with both client decoders.
 */
describe("Concurrent downloads of different files", () => {
  const resources = trackSuiteResources();
  let server: TestServer;
  const fastClients: DownloadServiceClient[] = [];
  before(async () => {
    server = await startTestServer({
      files: FILES,
      env: { DOWNLOAD_DELAY_ENABLED: "false", MAX_STREAMS_PER_CLIENT: "100" },
    });
  });
  after(async () => {
    for (const client of fastClients) client.close();
    await server.close();
    await resources.assertClean();
  });

  for (const [name, makeClient] of [
    ["the generated client", () => server.client()],
    [
      "createDownloadClient (zero-copy decoder, 16 MiB window)",
      () => {
        const client = createDownloadClient(server.address);
        fastClients.push(client);
        return client;
      },
    ],
  ] as const) {
    it(`${name}: 24 interleaved streams, 16 KiB to 1 MiB chunks, every byte right`, async () => {
      const client = makeClient();
      const chunkSizes = [16 * 1024, 256 * 1024, 1024 * 1024, 0];
      const runs = FILES.flatMap((file) =>
        chunkSizes.map(async (chunkSizeBytes) => ({
          file,
          result: await collectDownload(client, downloadRequest(file.fileId, { chunkSizeBytes })),
        })),
      );
      for (const { file, result } of await Promise.all(runs)) {
        assert.equal(result.status.code, status.OK, result.status.details);
        assert.equal(result.bytes.length, file.bytes.length);
        assert.equal(sha256(result.bytes), file.sha256, `file ${file.fileId}`);
      }
    });
  }
});
