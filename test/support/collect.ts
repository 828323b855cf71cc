import { Metadata, type CallOptions, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import type {
  DownloadRequest,
  DownloadResponse,
  DownloadServiceClient,
} from "../../src/gen/delineate/v1/download_service";

export interface TimedMessage {
  readonly at: number;
  readonly message: DownloadResponse;
}

export interface DownloadResult {
  readonly messages: TimedMessage[];
  readonly status: StatusObject;
  readonly error: ServiceError | undefined;
  readonly bytes: Buffer;
  readonly startedAt: number;
}

export function downloadRequest(fileId: number, fields: Partial<DownloadRequest> = {}): DownloadRequest {
  return { fileId, readOffset: 0, readLimit: 0, chunkSizeBytes: 0, ifSha256: "", ...fields };
}

/** Runs one Download to its end and keeps everything that arrived, with arrival times. */
export function collectDownload(
  client: DownloadServiceClient,
  request: DownloadRequest,
  options: {
    metadata?: Metadata;
    callOptions?: Partial<CallOptions>;
    onMessage?: (m: DownloadResponse) => void;
  } = {},
): Promise<DownloadResult> {
  const startedAt = performance.now();
  const messages: TimedMessage[] = [];
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    const call = client.download(request, options.metadata ?? new Metadata(), options.callOptions ?? {});
    let error: ServiceError | undefined;
    call.on("data", (message: DownloadResponse) => {
      messages.push({ at: performance.now(), message });
      if (message.event?.$case === "chunk") chunks.push(message.event.value.data);
      options.onMessage?.(message);
    });
    call.on("error", (e: ServiceError) => (error = e));
    call.on("status", (status: StatusObject) => {
      // 'status' can come before the last 'error'; settle on the next turn.
      setImmediate(() => resolve({ messages, status, error, bytes: Buffer.concat(chunks), startedAt }));
    });
  });
}

export function statuses(result: DownloadResult) {
  return result.messages.flatMap(({ at, message }) =>
    message.event?.$case === "status" ? [{ at, ...message.event.value }] : [],
  );
}

export function cases(result: DownloadResult): string[] {
  const out: string[] = [];
  for (const { message } of result.messages) {
    const kind = message.event?.$case ?? "none";
    if (out.at(-1) !== kind) out.push(kind);
  }
  return out;
}
