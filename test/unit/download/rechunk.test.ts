import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { rechunk } from "../../../src/download/rechunk";

async function collect(pieces: Buffer[], size: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of rechunk(Readable.from(pieces), size)) out.push(chunk);
  return out;
}

describe("rechunk", () => {
  it("cuts any piece sizes into exact chunks, the last one shorter, bytes unchanged", async () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    for (const pieceSizes of [[1000], [1, 999], [300, 300, 300, 100], [7, 7, 7, 979], [64, 64, 872]]) {
      const pieces: Buffer[] = [];
      let at = 0;
      for (const n of pieceSizes) pieces.push(bytes.subarray(at, (at += n)));
      const chunks = await collect(pieces, 128);
      assert.ok(Buffer.concat(chunks).equals(bytes), JSON.stringify(pieceSizes));
      assert.ok(chunks.slice(0, -1).every((c) => c.length === 128));
      assert.equal(chunks.at(-1)?.length, 1000 % 128);
    }
  });

  it("passes pieces of the right size through without copying", async () => {
    const piece = Buffer.alloc(128, 1);
    const [out] = await collect([piece], 128);
    assert.equal(out, piece);
  });

  it("yields nothing for nothing", async () => {
    assert.deepEqual(await collect([], 128), []);
  });
});
