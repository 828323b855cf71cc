import { credentials } from "@grpc/grpc-js";
import { fileKey } from "../../src/storage/keys";
import type { TestFile } from "./files";
import { HealthClient, servingStatusName } from "./health-client";
import { s3Store, TEST_BUCKET, TEST_CREDENTIALS } from "./s3-server";

/** Uploads straight to an s3rver (not through any proxy). */
export async function putFiles(endpoint: string, files: readonly TestFile[]): Promise<void> {
  const store = s3Store(endpoint);
  try {
    for (const file of files) await store.put(fileKey(file.fileId), file.bytes, "application/zip");
  } finally {
    await store.close();
  }
}

/** Server environment for the s3 driver on these endpoints (primary first). */
export function s3Env(endpoints: readonly string[]): Record<string, string> {
  return {
    STORAGE_DRIVER: "s3",
    S3_ENDPOINT: endpoints.join(","),
    S3_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    S3_BUCKET_NAME: TEST_BUCKET,
  };
}

/** grpc.health.v1 Check for one service name: "SERVING", "NOT_SERVING", or "error <code>". */
export function checkHealth(address: string, name: string): Promise<string> {
  const client = new HealthClient(address, credentials.createInsecure());
  return new Promise<string>((resolve) => {
    client.check({ service: name }, (error, response) => {
      client.close();
      resolve(error ? `error ${error.code}` : servingStatusName(response?.status ?? "UNKNOWN"));
    });
  });
}
