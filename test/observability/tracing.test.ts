import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { SpanKind } from "@opentelemetry/api";
import { assertNoLeaks } from "../support/no-leaks";

const run = promisify(execFile);

interface SpanRecord {
  readonly name: string;
  readonly kind: SpanKind;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly links: string[];
  readonly attributes: Record<string, unknown>;
}

type Line = Record<string, unknown>;

/**
 * The instrumentation only works if it is set up before @grpc/grpc-js loads, so the traced
 * server runs in its own process (test/support/tracing/traced-server-child.ts), exporting to memory.
 */
describe("tracing", () => {
  assertNoLeaks();

  it("makes gRPC server spans, job/scan/storage spans, a join link, and puts trace ids on log lines", async () => {
    const child = path.join(__dirname, "..", "support", "tracing", "traced-server-child.js");
    const { stdout } = await run(process.execPath, [child], { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 });
    const lines = stdout
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Line);
    const result = lines.at(-1) as { spans: SpanRecord[]; codes: number[]; bytes: number[] };
    assert.deepEqual(result.codes, [0, 0]);
    const spans = result.spans;
    const logs = lines.slice(0, -1);

    // instrumentation-grpc: one SERVER span per Download call.
    const servers = spans.filter(
      (s) => s.kind === SpanKind.SERVER && s.name.endsWith("DownloadService/Download"),
    );
    assert.equal(servers.length, 2, spans.map((s) => s.name).join(", "));

    const job = spans.find((s) => s.name === "delineate.job");
    assert.ok(job, "a job span");
    const starter = servers.find((s) => s.spanId === job.parentSpanId);
    assert.ok(starter, "the job is a child of the caller that started it");
    const scan = spans.find((s) => s.name === "delineate.sha256_scan");
    assert.equal(scan?.parentSpanId, job.spanId, "the scan runs inside the job");
    const storage = spans.filter((s) => s.name.startsWith("storage."));
    assert.ok(
      storage.some((s) => s.name === "storage.read" && s.traceId === job.traceId),
      "the scan's read is traced",
    );
    assert.ok(storage.some((s) => s.name === "storage.stat"));

    const joiner = servers.find((s) => s !== starter);
    const join = spans.find((s) => s.name === "delineate.job.join");
    assert.ok(joiner && join, "a join span");
    assert.equal(join.parentSpanId, joiner.spanId, "the join belongs to the joining call");
    assert.deepEqual(join.links, [job.spanId], "and links to the job's span");

    // Log lines carry the ids of the span they were written in.
    const joinerLine = logs.find((l) => l.message === "call ended" && l.request_id === "joiner-1");
    assert.equal(joinerLine?.trace_id, joiner.traceId);
    assert.equal(joinerLine?.span_id, joiner.spanId);
    const started = logs.find((l) => l.message === "job started");
    assert.equal(started?.trace_id, job.traceId);
    assert.equal(started?.span_id, job.spanId);
    const ready = logs.find((l) => l.message === "job ready");
    assert.equal(ready?.span_id, job.spanId);
  });
});
