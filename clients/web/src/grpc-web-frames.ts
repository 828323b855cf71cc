/** A gRPC-Web frame: a message, or the trailers (flag bit 0x80) that carry grpc-status. */
export type GrpcWebFrame =
  | { readonly kind: "data"; readonly bytes: Uint8Array }
  | { readonly kind: "trailers"; readonly headers: Map<string, string> };

/** A message larger than this is refused instead of buffered (our chunks are at most 1 MiB). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

const TRAILER_FLAG = 0x80;
const COMPRESSED_FLAG = 0x01;

/**
 * Reads binary gRPC-Web frames (1 flag byte, 4-byte big-endian length, payload) from a response body
 * as they arrive. Memory is bounded: it holds the bytes of one frame at a time, never the stream.
 */
export async function* readGrpcWebFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<GrpcWebFrame> {
  const reader = body.getReader();
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;

  /** Takes exactly n bytes from the pending chunks, copying only when a frame spans chunks. */
  const take = (n: number): Uint8Array => {
    // An empty message (all fields default) is a frame with length 0.
    if (n === 0) return new Uint8Array(0);
    const first = pending[0]!;
    if (first.length >= n) {
      pending[0] = first.subarray(n);
      if (pending[0].length === 0) pending.shift();
      pendingBytes -= n;
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = pending[0]!;
      const used = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, used), filled);
      filled += used;
      if (used === chunk.length) pending.shift();
      else pending[0] = chunk.subarray(used);
    }
    pendingBytes -= n;
    return out;
  };
  const fill = async (n: number): Promise<boolean> => {
    while (pendingBytes < n) {
      const { done, value } = await reader.read();
      if (done) return false;
      if (value.length > 0) {
        pending.push(value);
        pendingBytes += value.length;
      }
    }
    return true;
  };

  try {
    for (;;) {
      if (!(await fill(5))) {
        if (pendingBytes > 0) throw new TruncatedStreamError("the stream ended inside a frame header");
        return;
      }
      const header = take(5);
      const flags = header[0]!;
      const length = new DataView(header.buffer, header.byteOffset, 5).getUint32(1);
      if (length > MAX_FRAME_BYTES) throw new Error(`a gRPC-Web frame of ${length} bytes exceeds the limit`);
      if (flags & COMPRESSED_FLAG) throw new Error("compressed gRPC-Web frames are not supported");
      if (!(await fill(length))) throw new TruncatedStreamError("the stream ended inside a frame");
      const payload = take(length);
      if (flags & TRAILER_FLAG) {
        yield { kind: "trailers", headers: parseTrailers(payload) };
      } else {
        yield { kind: "data", bytes: payload };
      }
    }
  } finally {
    // Ends the fetch when the caller stops early (break, error, abort).
    await reader.cancel().catch(() => undefined);
  }
}

/** The trailer frame is an HTTP/1 header block: "name: value\r\n" lines, names lowercase. */
export function parseTrailers(payload: Uint8Array): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of new TextDecoder().decode(payload).split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** Encodes one request message as a gRPC-Web data frame. */
export function encodeGrpcWebFrame(message: Uint8Array): Uint8Array<ArrayBuffer> {
  const frame = new Uint8Array(5 + message.length);
  new DataView(frame.buffer).setUint32(1, message.length);
  frame.set(message, 5);
  return frame;
}

/** The connection dropped mid-response: resumable. */
export class TruncatedStreamError extends Error {
  override readonly name = "TruncatedStreamError";
}
