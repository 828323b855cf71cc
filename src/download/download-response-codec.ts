import { BinaryReader } from "@bufbuild/protobuf/wire";
import { DownloadResponse, type FileChunk } from "../gen/delineate/v1/download_service";

/** DownloadResponse field 3 (chunk), wire type 2; FileChunk field 1 (offset, varint) and 2 (data, bytes). */
const TAG_CHUNK = (3 << 3) | 2;
const TAG_OFFSET = (1 << 3) | 0;
const TAG_DATA = (2 << 3) | 2;
/** Tags (1 byte each) and three varints of at most 10 bytes. */
const MAX_CHUNK_HEADER = 3 + 3 * 10;

/**
 * Serializes a DownloadResponse byte-for-byte as ts-proto does, but a chunk is framed by hand and
 * its data copied once (ts-proto's writer copies it twice and costs 20–40 % of a stream's CPU).
 */
export function encodeDownloadResponse(message: DownloadResponse): Buffer {
  return encodeInto(message, (size) => Buffer.allocUnsafe(size));
}

let scratch = Buffer.alloc(0);

/**
 * For grpc-js's responseSerialize only: a chunk is encoded into one reused buffer, valid until the
 * next call. grpc-js copies a serialized message into its framed output in the same synchronous
 * call (serializeMessage), so the buffer is free again at once; that saves a chunk-sized
 * allocation per message, which was most of the server's GC time (README, Performance).
 * test/integration/concurrent-downloads.test.ts guards this against a grpc-js that keeps it.
 */
export function serializeDownloadResponseForGrpc(message: DownloadResponse): Buffer {
  return encodeInto(message, (size) => {
    if (scratch.length < size) scratch = Buffer.allocUnsafeSlow(Math.max(size, 2 * scratch.length));
    return scratch.subarray(0, size);
  });
}

function encodeInto(message: DownloadResponse, allocate: (size: number) => Buffer): Buffer {
  if (message.event?.$case !== "chunk") return Buffer.from(DownloadResponse.encode(message).finish());
  const { offset, data } = message.event.value;
  const header = Buffer.allocUnsafe(MAX_CHUNK_HEADER);
  // The inner FileChunk's length comes first, so write its fields after leaving room for it.
  let inner = 0;
  if (offset !== 0) inner += 1 + varintLength(offset);
  if (data.length !== 0) inner += 1 + varintLength(data.length) + data.length;
  let at = 0;
  header[at++] = TAG_CHUNK;
  at = writeVarint(header, at, inner);
  if (offset !== 0) {
    header[at++] = TAG_OFFSET;
    at = writeVarint(header, at, offset);
  }
  if (data.length === 0) return Buffer.from(header.subarray(0, at));
  header[at++] = TAG_DATA;
  at = writeVarint(header, at, data.length);
  const out = allocate(at + data.length);
  header.copy(out, 0, 0, at);
  out.set(data, at);
  return out;
}

/**
 * Parses a DownloadResponse; a chunk's data is a view into `bytes` (no copy). Anything that is not
 * a plainly framed chunk goes to ts-proto, so the result always equals DownloadResponse.decode.
 */
export function decodeDownloadResponse(bytes: Buffer): DownloadResponse {
  const chunk = bytes[0] === TAG_CHUNK ? parseChunk(bytes) : undefined;
  if (chunk) return { event: { $case: "chunk", value: chunk } };
  const message = DownloadResponse.decode(bytes);
  return message;
}

function parseChunk(bytes: Buffer): FileChunk | undefined {
  const reader = new BinaryReader(bytes);
  reader.uint32();
  const innerLength = reader.uint32();
  const end = reader.pos + innerLength;
  if (end !== bytes.length) return undefined;
  let offset = 0;
  let data: Buffer = Buffer.alloc(0);
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === TAG_OFFSET) {
      offset = Number(reader.uint64());
    } else if (tag === TAG_DATA) {
      const length = reader.uint32();
      if (reader.pos + length > end) return undefined;
      data = bytes.subarray(reader.pos, reader.pos + length);
      reader.pos += length;
    } else {
      return undefined;
    }
  }
  return reader.pos === end ? { offset, data } : undefined;
}

function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n += 1;
  }
  return n;
}

/** Unsigned varint for any safe integer (offsets pass 2^32, so no bit operators above 7 bits). */
function writeVarint(target: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    target[at++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  target[at++] = value;
  return at;
}
