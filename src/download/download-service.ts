import type { DownloadServiceServer } from "../gen/delineate/v1/download_service";
import { createCheckFileHandler } from "./check-file-handler";
import { createDownloadHandler } from "./download-handler";
import { createPrepareFilesHandler } from "./prepare-files-handler";
import type { ServiceDeps } from "./service-deps";

export function createDownloadService(deps: ServiceDeps): DownloadServiceServer {
  return {
    checkFile: createCheckFileHandler(deps),
    prepareFiles: createPrepareFilesHandler(deps),
    download: createDownloadHandler(deps),
  };
}
