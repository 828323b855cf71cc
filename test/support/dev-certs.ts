import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const SCRIPT = path.join(__dirname, "../../../scripts/dev-certs.sh");

export interface DevCerts {
  readonly dir: string;
  /** Absolute path of a file the script wrote (ca.crt, server.key, client.crt, ...). */
  file(name: string): string;
  read(name: string): Promise<Buffer>;
  remove(): Promise<void>;
}

/** A fresh CA with server and client certificates, made by scripts/dev-certs.sh (openssl) in a temp dir. */
export async function makeDevCerts(): Promise<DevCerts> {
  const dir = await mkdtemp(path.join(tmpdir(), "delineate-certs-"));
  await promisify(execFile)("bash", [SCRIPT, dir]);
  const file = (name: string) => path.join(dir, name);
  return {
    dir,
    file,
    read: (name) => readFile(file(name)),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
