import { Server, type ServerInterceptor, type ServiceDefinition } from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import { serializeDownloadResponseForGrpc } from "../download/download-response-codec";
import { tolerantDeserialize } from "../download/tolerant-deserialize";
import {
  CheckFileRequest,
  DownloadRequest,
  DownloadServiceService,
  PrepareFilesRequest,
  type DownloadServiceServer,
} from "../gen/delineate/v1/download_service";
import { loadReflectionDescriptors } from "./descriptors";
import { HealthService } from "./health-service";

export const SERVICE_NAME = "delineate.v1.DownloadService";
/** Health answers for the whole server ("") and for the service by name. */
export const HEALTH_SERVICES = ["", SERVICE_NAME] as const;

/** Keepalive and size limits (DESIGN.md §6); requests are tiny, responses at most a 1 MiB chunk. */
const SERVER_OPTIONS = {
  "grpc.keepalive_time_ms": 60_000,
  "grpc.keepalive_timeout_ms": 20_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.http2.min_ping_interval_without_data_ms": 10_000,
  "grpc.max_receive_message_length": 1024 * 1024,
  "grpc.max_send_message_length": 2 * 1024 * 1024,
  // No channelz service is served: its per-call and per-message bookkeeping would be pure cost.
  "grpc.enable_channelz": 0,
};

/** Our service with requests that cannot be decoded answered as INVALID_ARGUMENT (see tolerant-deserialize). */
const downloadServiceDefinition = {
  ...DownloadServiceService,
  checkFile: {
    ...DownloadServiceService.checkFile,
    requestDeserialize: tolerantDeserialize(
      (b) => CheckFileRequest.decode(b),
      () => CheckFileRequest.create(),
    ),
  },
  prepareFiles: {
    ...DownloadServiceService.prepareFiles,
    requestDeserialize: tolerantDeserialize(
      (b) => PrepareFilesRequest.decode(b),
      () => PrepareFilesRequest.create(),
    ),
  },
  download: {
    ...DownloadServiceService.download,
    requestDeserialize: tolerantDeserialize(
      (b) => DownloadRequest.decode(b),
      () => DownloadRequest.create(),
    ),
    // Chunks framed by hand into a reused buffer, one copy of the data (see download-response-codec).
    responseSerialize: serializeDownloadResponseForGrpc,
  },
} satisfies ServiceDefinition;

export interface GrpcServerParts {
  readonly server: Server;
  readonly health: HealthService;
}

export function createGrpcServer(
  implementation: DownloadServiceServer,
  interceptors: readonly ServerInterceptor[],
): GrpcServerParts {
  const server = new Server({ ...SERVER_OPTIONS, interceptors: [...interceptors] });
  server.addService(downloadServiceDefinition, implementation);
  const health = new HealthService(HEALTH_SERVICES, "NOT_SERVING");
  health.addToServer(server);
  new ReflectionService(loadReflectionDescriptors()).addToServer(server);
  return { server, health };
}
