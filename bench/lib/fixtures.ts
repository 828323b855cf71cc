import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { once } from "node:events";

const BLOCK = 1024 * 1024;

export function filePath(dataDir: string, fileId: number): string {
  return path.join(dataDir, "downloads", `${fileId}.zip`);
}

/** Writes a file of `size` incompressible bytes, 1 MiB at a time (never the whole file in memory). */
export async function writeFile(dataDir: string, fileId: number, size: number): Promise<string> {
  const target = filePath(dataDir, fileId);
  await mkdir(path.dirname(target), { recursive: true });
  const out = createWriteStream(target);
  const block = randomBytes(Math.min(BLOCK, Math.max(size, 1)));
  for (let written = 0, i = 0; written < size; i++) {
    const n = Math.min(block.length, size - written);
    // Vary each block a little, so no two are the same.
    const piece = Buffer.from(block.subarray(0, n));
    if (n >= 8) piece.writeDoubleLE(i, 0);
    if (!out.write(piece)) await once(out, "drain");
    written += n;
  }
  out.end();
  await once(out, "finish");
  return target;
}

export async function writeFiles(dataDir: string, fileIds: readonly number[], size: number): Promise<void> {
  for (const fileId of fileIds) await writeFile(dataDir, fileId, size);
}

export function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}
