import type { StorageConfig } from "../config/config";
import { FsObjectStore } from "./fs-object-store";
import type { ObjectStore } from "./object-store";
import { S3ObjectStore } from "./s3-object-store";

export function createObjectStore(config: StorageConfig): ObjectStore {
  if (config.driver === "fs") return new FsObjectStore(config.dataDir);
  const [endpoint] = config.endpoints;
  if (!endpoint) throw new Error("S3_ENDPOINT is required");
  return new S3ObjectStore({ ...config, endpoint });
}
