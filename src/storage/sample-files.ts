import { createCipheriv, createHash } from "node:crypto";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";

/** Files a newcomer can download at once from an empty data directory (README lists them). */
export const SAMPLE_FILES: ReadonlyArray<{ readonly fileId: number; readonly sizeBytes: number }> = [
  { fileId: 10_000, sizeBytes: 1024 * 1024 },
  { fileId: 20_000, sizeBytes: 16 * 1024 * 1024 },
  { fileId: 50_000, sizeBytes: 64 * 1024 * 1024 },
];

/** Writes the sample files when `${dataDir}/downloads` holds no files; returns the ids written. */
export async function ensureSampleFiles(dataDir: string): Promise<number[]> {
  const dir = path.join(dataDir, "downloads");
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).some((name) => name.endsWith(".zip"))) return [];
  for (const { fileId, sizeBytes } of SAMPLE_FILES) {
    await writeFile(path.join(dir, `${fileId}.zip`), sampleBytes(fileId, sizeBytes));
  }
  return SAMPLE_FILES.map((f) => f.fileId);
}

/** Deterministic, incompressible bytes: AES-256-CTR keystream, keyed by the seed. */
export function sampleBytes(seed: number, size: number): Buffer {
  const key = createHash("sha256").update(`delineate-sample:${seed}`).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}
