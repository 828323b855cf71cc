import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { credentials } from "@grpc/grpc-js";
import { DownloadServiceClient, type CheckFileResponse } from "../../src/gen/delineate/v1/download_service";
import { startChildServer, TRACING_PRELOAD } from "../support/child-server";
import { assertNoLeaks } from "../support/no-leaks";

/** Loopback stand-in for Jaeger's OTLP/HTTP port: keeps every body posted to /v1/traces. */
async function startOtlpReceiver(): Promise<{ server: Server; port: number; bodies: Buffer[] }> {
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      if (req.url === "/v1/traces") bodies.push(Buffer.concat(parts));
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port, bodies };
}

describe("tracing preload (the start command)", () => {
  assertNoLeaks();

  it("instruments grpc-js and exports OTLP spans to OTEL_EXPORTER_OTLP_ENDPOINT", async () => {
    const receiver = await startOtlpReceiver();
    const dataDir = await mkdtemp(path.join(tmpdir(), "delineate-otlp-"));
    const { process: child, address } = await startChildServer(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
        OTEL_BSP_SCHEDULE_DELAY: "100",
        DATA_DIR: dataDir,
        SEED_SAMPLE_DATA: "false",
      },
      { preload: true },
    );
    try {
      const client = new DownloadServiceClient(address, credentials.createInsecure());
      const answer = await new Promise<CheckFileResponse>((resolve, reject) =>
        client.checkFile({ fileId: 70_001 }, (error, response) =>
          error ? reject(error) : resolve(response),
        ),
      );
      client.close();
      assert.equal(answer.available, false);
      // SIGTERM: drain, flushTraces, exit 0 (what a deploy does).
      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0);
      const exported = Buffer.concat(receiver.bodies).toString("latin1");
      // Protobuf keeps strings as bytes: the server span's name and our service name are in there.
      assert.ok(
        exported.includes("delineate.v1.DownloadService/CheckFile"),
        "no CheckFile server span exported",
      );
      assert.ok(exported.includes("storage.stat"), "no storage span exported");
      assert.ok(exported.includes("delineate"), "no service name");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      receiver.server.close();
      receiver.server.closeAllConnections();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a bad OTEL_EXPORTER_OTLP_ENDPOINT at start, naming it (exit 2)", async () => {
    const child = spawn(process.execPath, ["-r", TRACING_PRELOAD, "-e", "0"], {
      env: { PATH: process.env.PATH ?? "", OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://collector" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (part: Buffer) => (stderr += part.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 2);
    assert.match(stderr, /OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it("is off when OTEL_EXPORTER_OTLP_ENDPOINT is unset: serves, no trace ids", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "delineate-otlp-"));
    const {
      process: child,
      address,
      logs,
    } = await startChildServer({ DATA_DIR: dataDir, SEED_SAMPLE_DATA: "false" }, { preload: true });
    try {
      const client = new DownloadServiceClient(address, credentials.createInsecure());
      await new Promise<CheckFileResponse>((resolve, reject) =>
        client.checkFile({ fileId: 70_001 }, (error, response) =>
          error ? reject(error) : resolve(response),
        ),
      );
      client.close();
      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0);
      assert.ok(logs.some((l) => l.message === "call ended"));
      assert.ok(
        logs.every((l) => l.trace_id === undefined),
        "trace ids without tracing",
      );
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
