import { credentials, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { fileKey } from "../../src/storage/keys";
import { S3ObjectStore } from "../../src/storage/s3-object-store";
import type { TestFile } from "./files";
import { TEST_BUCKET, TEST_CREDENTIALS } from "./s3-server";

/** Uploads straight to an s3rver (not through any proxy). */
export async function putFiles(endpoint: string, files: readonly TestFile[]): Promise<void> {
  const store = new S3ObjectStore({
    endpoint: new URL(endpoint),
    region: "us-east-1",
    ...TEST_CREDENTIALS,
    bucket: TEST_BUCKET,
    forcePathStyle: true,
  });
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

const HealthClient = makeGenericClientConstructor(healthService, "Health");

type HealthCheck = (
  request: { service: string },
  callback: (error: ServiceError | null, response?: { status: string }) => void,
) => void;

/** grpc.health.v1 Check for one service name: "SERVING", "NOT_SERVING", or "error <code>". */
export function checkHealth(address: string, name: string): Promise<string> {
  const client = new HealthClient(address, credentials.createInsecure());
  const check = (client as unknown as { check: HealthCheck }).check.bind(client);
  return new Promise<string>((resolve) => {
    check({ service: name }, (error, response) => {
      client.close();
      resolve(error ? `error ${error.code}` : String(response?.status));
    });
  });
}
