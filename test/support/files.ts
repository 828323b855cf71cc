import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { sampleBytes } from "../../src/storage/sample-files";

export interface TestFile {
  readonly fileId: number;
  readonly bytes: Buffer;
  readonly sha256: string;
}

export function makeFile(fileId: number, size: number): TestFile {
  const bytes = sampleBytes(fileId, size);
  return { fileId, bytes, sha256: sha256(bytes) };
}

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export async function writeToDataDir(dataDir: string, files: readonly TestFile[]): Promise<void> {
  await mkdir(path.join(dataDir, "downloads"), { recursive: true });
  for (const file of files)
    await writeFile(path.join(dataDir, "downloads", `${file.fileId}.zip`), file.bytes);
}
