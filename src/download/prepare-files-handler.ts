import type { handleUnaryCall } from "@grpc/grpc-js";
import {
  DownloadPhase,
  type PrepareFilesRequest,
  type PrepareFilesResponse,
  type PreparedFile,
} from "../gen/delineate/v1/download_service";
import { fileKey } from "../storage/keys";
import { respondUnary } from "./respond";
import type { ServiceDeps } from "./service-deps";
import { toDownloadPhase } from "./status-message";
import { assertDecodable, validatePrepareIds } from "./validate-request";

/** How many storage look-ups one PrepareFiles call runs at once. */
const LOOKUP_CONCURRENCY = 16;

/** Starts or joins a job per distinct id and answers at once, in request order. */
export function createPrepareFilesHandler(
  deps: ServiceDeps,
): handleUnaryCall<PrepareFilesRequest, PrepareFilesResponse> {
  const prepareOne = async (fileId: number): Promise<PreparedFile> => {
    const info = await deps.store.stat(fileKey(fileId));
    if (!info) {
      return {
        fileId,
        available: false,
        jobId: "",
        phase: DownloadPhase.DOWNLOAD_PHASE_UNSPECIFIED,
        joinedExistingJob: false,
      };
    }
    if (await deps.records.find(fileId, info)) {
      return {
        fileId,
        available: true,
        jobId: "",
        phase: DownloadPhase.DOWNLOAD_PHASE_READY,
        joinedExistingJob: false,
      };
    }
    const { job, joined } = deps.jobs.join(fileId, info);
    return {
      fileId,
      available: true,
      jobId: job.id,
      phase: toDownloadPhase(job.phase),
      joinedExistingJob: joined,
    };
  };
  return (call, callback) =>
    respondUnary(deps.logger, call, callback, async () => {
      deps.downloads.assertAccepting();
      assertDecodable(call.request);
      const ids = validatePrepareIds(call.request.fileIds);
      const files = new Array<PreparedFile>(ids.length);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < ids.length; i = next++) files[i] = await prepareOne(ids[i] as number);
      };
      await Promise.all(Array.from({ length: Math.min(LOOKUP_CONCURRENCY, ids.length) }, worker));
      return { files };
    });
}
