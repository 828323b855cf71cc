import { Metadata, ServerInterceptingCall, status, type ServerInterceptor } from "@grpc/grpc-js";
import type { SpanContext } from "@opentelemetry/api";
import type { Logger } from "winston";
import { keyFingerprint, presentedKey } from "../server/api-keys";
import type { Metrics } from "./metrics";
import { REQUEST_ID_HEADER, requestIdFrom } from "./request-id";
import { activeSpanContext } from "./spans";

/** go-grpc-prometheus spells codes the way Go's codes.Code.String() does; dashboards expect that. */
const CODE_NAMES: Record<number, string> = {
  [status.OK]: "OK",
  [status.CANCELLED]: "Canceled",
  [status.UNKNOWN]: "Unknown",
  [status.INVALID_ARGUMENT]: "InvalidArgument",
  [status.DEADLINE_EXCEEDED]: "DeadlineExceeded",
  [status.NOT_FOUND]: "NotFound",
  [status.ALREADY_EXISTS]: "AlreadyExists",
  [status.PERMISSION_DENIED]: "PermissionDenied",
  [status.RESOURCE_EXHAUSTED]: "ResourceExhausted",
  [status.FAILED_PRECONDITION]: "FailedPrecondition",
  [status.ABORTED]: "Aborted",
  [status.OUT_OF_RANGE]: "OutOfRange",
  [status.UNIMPLEMENTED]: "Unimplemented",
  [status.INTERNAL]: "Internal",
  [status.UNAVAILABLE]: "Unavailable",
  [status.DATA_LOSS]: "DataLoss",
  [status.UNAUTHENTICATED]: "Unauthenticated",
};

/** Codes that mean the server (or its storage) failed, not the caller (deadlines are the caller's). */
const SERVER_FAULTS = new Set<number>([
  status.UNKNOWN,
  status.INTERNAL,
  status.UNAVAILABLE,
  status.DATA_LOSS,
]);

const DOWNLOAD_PATH = "/delineate.v1.DownloadService/Download";
/** Probes call these every few seconds; one info line each would drown the rest. */
const QUIET_SERVICES = new Set(["grpc.health.v1.Health"]);
const MAX_LOGGED_IDS = 20;

interface ObservedMessage {
  event?: { $case: string; value: { jobId?: string; data?: Buffer } };
}

export function codeName(code: number): string {
  return CODE_NAMES[code] ?? "Unknown";
}

/**
 * One interceptor for every call on the port: the standard gRPC server metrics, the Download
 * metrics (first status, first byte, bytes, outcome), the x-request-id header and one log line
 * when the call ends. It must be the first interceptor, so it also sees calls others reject.
 */
export function createCallObserver(metrics: Metrics | undefined, logger: Logger): ServerInterceptor {
  return (method, call) => {
    const started = performance.now();
    const [, service = "unknown", name = "unknown"] = method.path.split("/");
    const labels = {
      grpc_type: grpcType(method.requestStream, method.responseStream),
      grpc_service: service,
      grpc_method: name,
    };
    const isDownload = method.path === DOWNLOAD_PATH;
    metrics?.grpcStarted.inc(labels);

    let requestId = "";
    let principal: string | undefined;
    let fileIds: number[] | undefined;
    let jobId: string | undefined;
    let bytes = 0;
    let sentMetadata = false;
    let firstStatusSeen = false;
    let spanContext: SpanContext | undefined;
    let done = false;

    const noteSpan = () => {
      spanContext ??= activeSpanContext();
    };

    const finish = (code: number) => {
      if (done) return;
      done = true;
      const seconds = (performance.now() - started) / 1000;
      const grpcCode = codeName(code);
      metrics?.grpcHandled.inc({ ...labels, grpc_code: grpcCode });
      metrics?.grpcHandlingSeconds.observe({ ...labels, grpc_code: grpcCode }, seconds);
      if (isDownload) {
        const outcome =
          grpcCode === "OK" ? "completed" : grpcCode === "Canceled" ? "cancelled" : snake(grpcCode);
        metrics?.downloads.inc({ outcome });
      }
      const level = SERVER_FAULTS.has(code) ? "warn" : QUIET_SERVICES.has(service) ? "debug" : "info";
      // Built only when it will be written: one line per call is a real cost under load.
      if (!logger.isLevelEnabled(level)) return;
      logger.log(level, "call ended", {
        method: method.path,
        ...(fileIds && fileIds.length === 1 ? { file_id: fileIds[0] } : {}),
        ...(fileIds && fileIds.length > 1
          ? { file_ids: fileIds.slice(0, MAX_LOGGED_IDS), file_count: fileIds.length }
          : {}),
        peer: call.getPeer(),
        ...(principal ? { principal } : {}),
        code: grpcCode,
        duration_ms: Math.round(seconds * 1000),
        ...(isDownload ? { bytes } : {}),
        ...(jobId ? { job_id: jobId } : {}),
        request_id: requestId,
        ...(spanContext ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {}),
      });
    };

    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, proceed) => {
            requestId = requestIdFrom(metadata);
            // Handlers see the same id the caller is answered with.
            metadata.set(REQUEST_ID_HEADER, requestId);
            const presented = presentedKey(metadata);
            if (presented.kind === "key") principal = keyFingerprint(presented.key);
            proceed(metadata);
          },
          onReceiveMessage: (message: unknown, proceed) => {
            metrics?.grpcMsgReceived.inc(labels);
            fileIds ??= requestedFileIds(message);
            proceed(message);
          },
          // grpc-js answers an expired deadline itself (past the interceptors); name it here.
          onCancel: () =>
            finish(deadlinePassed(call.getDeadline()) ? status.DEADLINE_EXCEEDED : status.CANCELLED),
        }),
      sendMetadata: (metadata, proceed) => {
        sentMetadata = true;
        metadata.set(REQUEST_ID_HEADER, requestId);
        proceed(metadata);
      },
      sendMessage: (message: ObservedMessage, proceed) => {
        noteSpan();
        metrics?.grpcMsgSent.inc(labels);
        if (isDownload) observeDownloadMessage(message);
        proceed(message);
      },
      sendStatus: (outgoing, proceed) => {
        noteSpan();
        let sent = outgoing;
        // Without headers sent, the status goes out trailers-only: carry the id there.
        if (!sentMetadata && requestId !== "") {
          const metadata = outgoing.metadata?.clone() ?? new Metadata();
          metadata.set(REQUEST_ID_HEADER, requestId);
          sent = { ...outgoing, metadata };
        }
        finish(outgoing.code);
        proceed(sent);
      },
    });

    function observeDownloadMessage(message: ObservedMessage): void {
      const event = message.event;
      if (!event) return;
      const elapsed = (performance.now() - started) / 1000;
      if (event.$case === "status") {
        if (!firstStatusSeen) {
          firstStatusSeen = true;
          metrics?.timeToFirstStatus.observe(elapsed);
        }
        if (event.value.jobId) jobId = event.value.jobId;
      } else if (event.$case === "chunk") {
        const size = event.value.data?.length ?? 0;
        if (bytes === 0 && size > 0) metrics?.timeToFirstByte.observe(elapsed);
        bytes += size;
        metrics?.bytesSent.inc(size);
      }
    }
  };
}

/**
 * The client's own deadline timer usually resets the stream a moment before the server's timer
 * (which started when the headers arrived) fires: a cancel that close to the deadline is the deadline.
 */
const DEADLINE_SLACK_MS = 500;

function deadlinePassed(deadline: Date | number): boolean {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) && at <= Date.now() + DEADLINE_SLACK_MS;
}

function grpcType(requestStream: boolean, responseStream: boolean): string {
  if (requestStream && responseStream) return "bidi_stream";
  if (requestStream) return "client_stream";
  return responseStream ? "server_stream" : "unary";
}

function requestedFileIds(message: unknown): number[] | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const { fileId, fileIds } = message as { fileId?: unknown; fileIds?: unknown };
  if (typeof fileId === "number") return [fileId];
  if (Array.isArray(fileIds)) return fileIds.filter((id): id is number => typeof id === "number");
  return undefined;
}

function snake(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}
