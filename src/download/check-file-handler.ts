import type { handleUnaryCall } from "@grpc/grpc-js";
import type { CheckFileRequest, CheckFileResponse } from "../gen/delineate/v1/download_service";
import { fileKey } from "../storage/keys";
import { respondUnary } from "./respond";
import type { ServiceDeps } from "./service-deps";
import { assertDecodable, validateFileId } from "./validate-request";

/** A question, so a missing file is OK with available = false. */
export function createCheckFileHandler(
  deps: ServiceDeps,
): handleUnaryCall<CheckFileRequest, CheckFileResponse> {
  return (call, callback) =>
    respondUnary(deps.logger, call, callback, async () => {
      deps.downloads.assertAccepting();
      assertDecodable(call.request);
      const fileId = validateFileId(call.request.fileId);
      const info = await deps.store.stat(fileKey(fileId));
      if (!info) return { fileId, available: false, sizeBytes: 0, prepared: false, sha256: "" };
      const record = await deps.records.find(fileId, info);
      return {
        fileId,
        available: true,
        sizeBytes: info.size,
        prepared: record !== undefined,
        sha256: record?.sha256 ?? "",
      };
    });
}
