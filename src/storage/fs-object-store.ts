import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import type { ByteRange, ObjectInfo, ObjectStore } from "./object-store";

const KEY = /^[a-z]+\/[0-9]+\.[a-z]+$/;
const DEFAULT_PIECE_BYTES = 256 * 1024;

/** The embedded driver: key `downloads/1.zip` is the file `${dataDir}/downloads/1.zip`. */
export class FsObjectStore implements ObjectStore {
  readonly driver = "fs";
  private readonly root: string;

  constructor(dataDir: string) {
    this.root = path.resolve(dataDir);
  }

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new RangeError(`bad object key: ${key}`);
    return path.join(this.root, key);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.pathOf(key));
      if (!s.isFile()) return undefined;
      return {
        size: s.size,
        etag: `${s.size.toString(16)}-${Math.trunc(s.mtimeMs).toString(16)}`,
        lastModified: s.mtime,
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  read(key: string, range: ByteRange, pieceBytes = DEFAULT_PIECE_BYTES): Promise<Readable> {
    const stream = createReadStream(this.pathOf(key), {
      start: range.offset,
      end: range.offset + range.length - 1,
      highWaterMark: pieceBytes,
    });
    // Resolve once the file is open, so a missing file fails here and not mid-stream.
    return new Promise((resolve, reject) => {
      stream.once("ready", () => {
        stream.off("error", reject);
        resolve(stream);
      });
      stream.once("error", reject);
    });
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(key: string, body: Buffer): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    // Write then rename, so a reader never sees half a record.
    const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temp, body);
    await rename(temp, target);
  }

  async ping(): Promise<void> {
    const s = await stat(this.root);
    if (!s.isDirectory()) throw new Error("data directory is not a directory");
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
