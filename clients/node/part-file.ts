import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readFile, rename, rm, writeFile, type FileHandle } from "node:fs/promises";
import type { DownloadSink } from "./download-sink";

/** What the .part file holds, so a later process can resume it with if_sha256. */
interface PartInfo {
  readonly fileId: number;
  readonly sizeBytes: number;
  readonly sha256: string;
}

/**
 * `{path}.part` plus `{path}.part.json` (the sha256 the bytes belong to). The bytes go to the .part
 * file and reach `path` only through commit(), after the caller has verified the hash.
 */
export class PartFile implements DownloadSink {
  readonly partPath: string;
  private readonly infoPath: string;
  private handle: FileHandle | undefined;

  private constructor(
    readonly finalPath: string,
    readonly fileId: number,
    /** Bytes already held (the resume offset). */
    public offset: number,
    /** sha256 over bytes [0, offset). */
    public hash: Hash,
    /** The whole file's sha256 the held bytes belong to; empty when nothing is held. */
    public expectedSha256: string,
  ) {
    this.partPath = `${finalPath}.part`;
    this.infoPath = `${finalPath}.part.json`;
  }

  /** Picks up an earlier run's .part (re-hashing its bytes) or starts empty. */
  static async open(finalPath: string, fileId: number): Promise<PartFile> {
    const info = await readInfo(`${finalPath}.part.json`, fileId);
    const hash = createHash("sha256");
    let offset = 0;
    if (info) {
      offset = await hashInto(`${finalPath}.part`, hash);
      // More bytes than the file has means the .part is not what we think: start over.
      if (offset > info.sizeBytes) offset = -1;
    }
    if (!info || offset <= 0) {
      const part = new PartFile(finalPath, fileId, 0, createHash("sha256"), "");
      await part.reset();
      return part;
    }
    return new PartFile(finalPath, fileId, offset, hash, info.sha256);
  }

  /** Records which file version the bytes belong to; written before the first byte. */
  async begin(sizeBytes: number, sha256: string): Promise<void> {
    if (this.expectedSha256 === sha256) return;
    this.expectedSha256 = sha256;
    const info: PartInfo = { fileId: this.fileId, sizeBytes, sha256 };
    await writeFile(this.infoPath, JSON.stringify(info));
  }

  async append(data: Uint8Array): Promise<void> {
    this.handle ??= await open(this.partPath, "a");
    await this.handle.write(data, 0, data.length, null);
    this.hash.update(data);
    this.offset += data.length;
  }

  /** Durably moves the verified bytes to the final name. */
  async commit(): Promise<void> {
    this.handle ??= await open(this.partPath, "a");
    await this.handle.sync();
    await this.close();
    await rename(this.partPath, this.finalPath);
    await rm(this.infoPath, { force: true });
  }

  /** Drops what is held (a different file version, or bytes that failed verification). */
  async reset(): Promise<boolean> {
    await this.close();
    await rm(this.partPath, { force: true });
    await rm(this.infoPath, { force: true });
    this.offset = 0;
    this.hash = createHash("sha256");
    this.expectedSha256 = "";
    return true;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

async function readInfo(infoPath: string, fileId: number): Promise<PartInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(infoPath, "utf8")) as Partial<PartInfo>;
    const valid =
      info.fileId === fileId &&
      typeof info.sizeBytes === "number" &&
      typeof info.sha256 === "string" &&
      /^[0-9a-f]{64}$/.test(info.sha256);
    return valid ? (info as PartInfo) : undefined;
  } catch {
    // Missing or unreadable: there is nothing we can safely resume.
    return undefined;
  }
}

/** Feeds a file into the hash; answers its length (0 when it does not exist). */
async function hashInto(filePath: string, hash: Hash): Promise<number> {
  let length = 0;
  try {
    for await (const chunk of createReadStream(filePath)) {
      hash.update(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  return length;
}
