import type { StorageConfig, StoragePolicyConfig } from "../config/config";
import { FailoverObjectStore } from "./failover-object-store";
import { FsObjectStore } from "./fs-object-store";
import type { ObjectStore } from "./object-store";
import { S3ObjectStore } from "./s3-object-store";

/** The configured driver; several S3 endpoints become one store that fails over (primary first). */
export function createObjectStore(
  config: StorageConfig,
  policy?: Pick<StoragePolicyConfig, "timeoutMs" | "failoverProbeIntervalMs">,
): ObjectStore {
  if (config.driver === "fs") return new FsObjectStore(config.dataDir);
  if (config.endpoints.length === 0) throw new Error("S3_ENDPOINT is required");
  const stores = config.endpoints.map(
    (endpoint) => new S3ObjectStore({ ...config, endpoint, socketIdleTimeoutMs: policy?.timeoutMs }),
  );
  if (stores.length === 1) return stores[0]!;
  return new FailoverObjectStore(stores, {
    probeIntervalMs: policy?.failoverProbeIntervalMs ?? 5_000,
    slowAfterMs: policy?.timeoutMs ?? 10_000,
  });
}
