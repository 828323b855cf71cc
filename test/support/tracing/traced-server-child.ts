// First import: tracing must be set up before anything loads @grpc/grpc-js.
import { exporter, sdk } from "./in-memory-tracing";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { credentials, Metadata } from "@grpc/grpc-js";
import { loadConfig } from "../../../src/config/config";
import { DownloadServiceClient } from "../../../src/gen/delineate/v1/download_service";
import { createLogger } from "../../../src/observability/logger";
import { startServer } from "../../../src/server/start-server";
import { collectDownload, downloadRequest } from "../collect";
import { makeFile, writeToDataDir } from "../files";
import { TEST_ENV } from "../test-server";

/**
 * Run by test/observability/tracing.test.ts in its own process: a real server with tracing
 * on, two callers for one file (the second joins), then every finished span as one JSON line
 * after the server's own JSON log lines on stdout.
 */
async function main(): Promise<void> {
  const file = makeFile(30_001, 300 * 1024);
  const dataDir = await mkdtemp(path.join(tmpdir(), "delineate-trace-"));
  await writeToDataDir(dataDir, [file]);
  const config = loadConfig({
    ...TEST_ENV,
    DATA_DIR: dataDir,
    DOWNLOAD_DELAY_MIN_MS: "800",
    DOWNLOAD_DELAY_MAX_MS: "800",
  });
  const running = await startServer(config, { logger: createLogger("info") });
  const client = new DownloadServiceClient(`127.0.0.1:${running.port}`, credentials.createInsecure());
  const first = collectDownload(client, downloadRequest(file.fileId));
  // Let the first caller start the job, so the second one joins it.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const metadata = new Metadata();
  metadata.set("x-request-id", "joiner-1");
  const second = collectDownload(client, downloadRequest(file.fileId), { metadata });
  const results = await Promise.all([first, second]);
  client.close();
  await running.shutdown();
  await rm(dataDir, { recursive: true, force: true });
  const spans = exporter.getFinishedSpans().map((span) => ({
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    links: span.links.map((link) => link.context.spanId),
    attributes: span.attributes,
  }));
  process.stdout.write(
    `${JSON.stringify({ spans, codes: results.map((r) => r.status.code), bytes: results.map((r) => r.bytes.length) })}\n`,
  );
  await sdk.shutdown();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
