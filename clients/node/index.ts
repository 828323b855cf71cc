export { DelineateClient, FILE_ID_HEADER, type UnaryOptions } from "./delineate-client";
export { DEFAULT_CHANNEL_OPTIONS, type ClientOptions } from "./client-options";
export { type DownloadOptions, type DownloadResult } from "./download-file";
export { type DownloadEvent, type DownloadEventHandler } from "./download-events";
export { ChecksumMismatchError, DownloadError } from "./download-errors";
export { DEFAULT_RETRY, type RetryOptions } from "./retry-policy";
export {
  DownloadPhase,
  type CheckFileResponse,
  type PreparedFile,
} from "../../src/gen/delineate/v1/download_service";
