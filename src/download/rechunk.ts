/**
 * Re-cuts a byte sequence into pieces of exactly `size` bytes (the last may be shorter).
 * Pieces that already have the right size pass through without a copy.
 */
export async function* rechunk(
  source: AsyncIterable<Buffer>,
  size: number,
): AsyncGenerator<Buffer, void, undefined> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of source) {
    if (pendingBytes === 0 && piece.length === size) {
      yield piece;
      continue;
    }
    pending.push(piece);
    pendingBytes += piece.length;
    if (pendingBytes < size) continue;
    let joined = Buffer.concat(pending, pendingBytes);
    while (joined.length >= size) {
      yield joined.subarray(0, size);
      joined = joined.subarray(size);
    }
    pending = joined.length > 0 ? [joined] : [];
    pendingBytes = joined.length;
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
