import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  encodeGrpcWebFrame,
  MAX_FRAME_BYTES,
  parseTrailers,
  readGrpcWebFrames,
  TruncatedStreamError,
  type GrpcWebFrame,
} from "../../../clients/web/src/grpc-web-frames";
import { trailerFrame } from "../../support/grpc-web-proxy";

/** A body delivered in pieces of `size` bytes, like a network would. */
function body(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<GrpcWebFrame[]> {
  const frames: GrpcWebFrame[] = [];
  for await (const frame of readGrpcWebFrames(stream)) frames.push(frame);
  return frames;
}

const messages = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(70_000).fill(7)];
const wire = Buffer.concat([
  ...messages.map((m) => encodeGrpcWebFrame(m)),
  trailerFrame({ "grpc-status": "0", "grpc-message": "" }),
]);

describe("gRPC-Web frame reader", () => {
  it("yields the same frames however the body is split", async () => {
    for (const size of [1, 2, 5, 6, 4096, wire.length]) {
      const frames = await readAll(body(wire, size));
      assert.equal(frames.length, 4, `split ${size}`);
      frames.slice(0, 3).forEach((frame, i) => {
        assert.equal(frame.kind, "data");
        assert.deepEqual(frame.kind === "data" && [...frame.bytes], [...messages[i]!]);
      });
      const trailers = frames[3]!;
      assert.equal(trailers.kind === "trailers" && trailers.headers.get("grpc-status"), "0");
    }
  });

  it("reports a body that stops inside a frame as truncated", async () => {
    for (const cut of [3, 7, wire.length - 2]) {
      await assert.rejects(readAll(body(wire.subarray(0, cut), 1024)), TruncatedStreamError);
    }
  });

  it("refuses a frame larger than the limit instead of buffering it", async () => {
    const header = new Uint8Array(5);
    new DataView(header.buffer).setUint32(1, MAX_FRAME_BYTES + 1);
    await assert.rejects(readAll(body(header, 5)), /exceeds the limit/);
  });

  it("parses trailer blocks as the proxy writes them", () => {
    const frame = trailerFrame({ "grpc-status": "5", "grpc-message": "file%2012345 not found" });
    assert.equal(frame[0], 0x80);
    const headers = parseTrailers(frame.subarray(5));
    assert.deepEqual(
      [...headers],
      [
        ["grpc-status", "5"],
        ["grpc-message", "file%2012345 not found"],
      ],
    );
  });
});
