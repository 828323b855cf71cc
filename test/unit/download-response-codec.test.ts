import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decodeDownloadResponse,
  encodeDownloadResponse,
  serializeDownloadResponseForGrpc,
} from "../../src/download/download-response-codec";
import { DownloadPhase, DownloadResponse } from "../../src/gen/delineate/v1/download_service";

function tsProto(message: DownloadResponse): Buffer {
  return Buffer.from(DownloadResponse.encode(message).finish());
}

const chunk = (offset: number, data: Buffer): DownloadResponse => ({
  event: { $case: "chunk", value: { offset, data } },
});

const CASES: Record<string, DownloadResponse> = {
  status: {
    event: {
      $case: "status",
      value: {
        phase: DownloadPhase.DOWNLOAD_PHASE_PROCESSING,
        progressPercent: 42,
        estimatedRemaining: { seconds: 3, nanos: 500_000_000 },
        jobId: "job-1",
        joinedExistingJob: true,
        message: "scanning",
      },
    },
  },
  metadata: {
    event: {
      $case: "metadata",
      value: {
        fileId: 10_001,
        sizeBytes: 5 * 2 ** 32 + 7,
        sha256: "ab".repeat(32),
        contentType: "application/zip",
        readOffset: 1024,
        contentLength: 5 * 2 ** 32 - 1017,
      },
    },
  },
  complete: {
    event: {
      $case: "complete",
      value: { bytesSent: 123, sha256: "cd".repeat(32), processingDuration: { seconds: 1, nanos: 0 } },
    },
  },
  "chunk at 0": chunk(0, Buffer.from("hello")),
  "chunk, empty data": chunk(77, Buffer.alloc(0)),
  "chunk at 0, empty data": chunk(0, Buffer.alloc(0)),
  "chunk, 1 MiB at an offset past 2^32": chunk(2 ** 40 + 3, Buffer.alloc(1024 * 1024, 7)),
  "chunk, 127 and 128 byte boundaries": chunk(127, Buffer.alloc(128, 1)),
  "chunk, 16 KiB at 2^53 - 1": chunk(Number.MAX_SAFE_INTEGER, Buffer.alloc(16 * 1024, 9)),
  "no event": { event: undefined },
};

describe("DownloadResponse codec", () => {
  for (const [name, message] of Object.entries(CASES)) {
    it(`encodes ${name} byte-identically to ts-proto and decodes it back`, () => {
      const ours = encodeDownloadResponse(message);
      assert.ok(ours.equals(tsProto(message)));
      assert.ok(serializeDownloadResponseForGrpc(message).equals(tsProto(message)));
      assert.deepEqual(decodeDownloadResponse(ours), DownloadResponse.decode(ours));
    });
  }

  it("a chunk's data is copied once: changing the source afterwards does not change the output", () => {
    const data = Buffer.from("abcdef");
    const encoded = encodeDownloadResponse(chunk(1, data));
    data.fill(0);
    assert.deepEqual(decodeDownloadResponse(encoded), chunk(1, Buffer.from("abcdef")));
  });

  it("decodes a chunk with fields in another order or unknown fields as ts-proto does", () => {
    // data (field 2) before offset (field 1), then an unknown varint field 9.
    const inner = Buffer.from([0x12, 2, 0xaa, 0xbb, 0x08, 5, 0x48, 1]);
    const bytes = Buffer.concat([Buffer.from([0x1a, inner.length]), inner]);
    assert.deepEqual(decodeDownloadResponse(bytes), DownloadResponse.decode(bytes));
    assert.deepEqual(decodeDownloadResponse(bytes), chunk(5, Buffer.from([0xaa, 0xbb])));
  });
});
