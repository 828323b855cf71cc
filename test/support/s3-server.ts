import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import { S3ObjectStore } from "../../src/storage/s3-object-store";

export const TEST_BUCKET = "downloads";
export const TEST_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export interface RunningS3 {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** A real S3 protocol peer: s3rver on loopback with a fresh directory and the bucket made. */
export async function startS3(): Promise<RunningS3> {
  const directory = await mkdtemp(path.join(tmpdir(), "delineate-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: TEST_BUCKET }],
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** The s3 driver pointed at a test server (or at any loopback endpoint, e.g. a refused port). */
export function s3Store(endpoint: string): S3ObjectStore {
  return new S3ObjectStore({
    endpoint: new URL(endpoint),
    region: "us-east-1",
    ...TEST_CREDENTIALS,
    bucket: TEST_BUCKET,
    forcePathStyle: true,
  });
}
