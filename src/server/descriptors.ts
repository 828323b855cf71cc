import { existsSync } from "node:fs";
import path from "node:path";
import { loadSync, type PackageDefinition } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";

/** proto/ at the package root (this file runs from dist/src/server). */
const PROTO_ROOT = path.resolve(__dirname, "..", "..", "..", "proto");
const SERVICE_PROTO = "delineate/v1/download_service.proto";

/**
 * Descriptors for server reflection: our service and grpc.health.v1, so `grpcurl list` and
 * `describe` show the whole surface of the port.
 */
export function loadReflectionDescriptors(): PackageDefinition {
  if (!existsSync(path.join(PROTO_ROOT, SERVICE_PROTO))) {
    throw new Error(`proto files not found under ${PROTO_ROOT}`);
  }
  const healthRoot = path.resolve(path.dirname(healthProtoPath), "..", "..");
  return loadSync([SERVICE_PROTO, path.relative(healthRoot, healthProtoPath)], {
    includeDirs: [PROTO_ROOT, healthRoot],
    // Field names as in the .proto (file_id, not fileId): reflection serves these descriptors verbatim.
    keepCase: true,
  });
}
