import { createHash } from "node:crypto";
import {
  Metadata,
  status as Status,
  type ClientReadableStream,
  type ServiceError,
  type StatusObject,
} from "@grpc/grpc-js";
import type {
  DownloadRequest,
  DownloadResponse,
  DownloadServiceClient,
} from "../../src/gen/delineate/v1/download_service";

export function request(fileId: number, fields: Partial<DownloadRequest> = {}): DownloadRequest {
  return { fileId, readOffset: 0, readLimit: 0, chunkSizeBytes: 0, ifSha256: "", ...fields };
}

export interface Outcome {
  readonly code: Status;
  readonly details: string;
  readonly bytes: number;
  /** Hex sha256 of the chunks, when asked for. */
  readonly sha256: string | undefined;
  readonly jobId: string;
  readonly joined: boolean;
  /** The sha256 the completion record carried. */
  readonly completeSha256: string;
}

/** One Download to its end, counting (and optionally hashing) the bytes, keeping nothing else. */
export function download(
  client: DownloadServiceClient,
  req: DownloadRequest,
  options: { hash?: boolean; onMessage?: (m: DownloadResponse) => void } = {},
): Promise<Outcome> {
  const hash = options.hash ? createHash("sha256") : undefined;
  let bytes = 0;
  let jobId = "";
  let joined = false;
  let completeSha256 = "";
  return new Promise((resolve) => {
    const call = client.download(req, new Metadata());
    call.on("data", (message: DownloadResponse) => {
      const event = message.event;
      if (event?.$case === "chunk") {
        bytes += event.value.data.length;
        hash?.update(event.value.data);
      } else if (event?.$case === "status" && event.value.jobId !== "") {
        jobId = event.value.jobId;
        joined ||= event.value.joinedExistingJob;
      } else if (event?.$case === "complete") {
        completeSha256 = event.value.sha256;
      }
      options.onMessage?.(message);
    });
    call.on("error", (_e: ServiceError) => undefined);
    void settled(call).then((status) =>
      resolve({
        code: status.code,
        details: status.details,
        bytes,
        sha256: hash?.digest("hex"),
        jobId,
        joined,
        completeSha256,
      }),
    );
  });
}

/**
 * The call's status once every message has been read: 'status' can come while messages are still
 * buffered (a paused reader), so an OK call also waits for 'end'.
 */
export function settled(call: ClientReadableStream<DownloadResponse>): Promise<StatusObject> {
  let ended = false;
  call.once("end", () => (ended = true));
  return new Promise((resolve) => {
    call.once("status", (status: StatusObject) => {
      if (status.code !== Status.OK || ended) resolve(status);
      else call.once("end", () => resolve(status));
    });
  });
}

export function waitForReady(client: DownloadServiceClient): Promise<void> {
  return new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + 10_000, (error) => (error ? reject(error) : resolve())),
  );
}
