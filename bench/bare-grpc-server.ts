import { createHash } from "node:crypto";
import { createReadStream, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Server, ServerCredentials, status, type ServerWritableStream } from "@grpc/grpc-js";
import { serializeDownloadResponseForGrpc } from "../src/download/download-response-codec";
import { statusResponse } from "../src/download/status-message";
import {
  DownloadPhase,
  DownloadServiceService,
  type DownloadRequest,
  type DownloadResponse,
  type DownloadServiceServer,
} from "../src/gen/delineate/v1/download_service";
import { fileKey } from "../src/storage/keys";
import { send, type ServerCommand } from "./lib/ipc";

/**
 * The gRPC floor for P1, P5 and P6: grpc-js with the same service definition and chunk codec, and
 * nothing of ours between the request and the wire (no validation, store, jobs, records, limits,
 * metrics, logs). argv[2] is the data dir; argv[3] "hold" answers one status and keeps the stream
 * open until cancelled, "serve" streams the whole file (1 MiB reads) and its sha256, hashed before
 * the server says it is ready (as the service's are, in its prepared records).
 */
const [dataDir, mode] = process.argv.slice(2);
if (dataDir === undefined || (mode !== "hold" && mode !== "serve")) {
  throw new Error("usage: bare-grpc-server <data-dir> hold|serve");
}
const sha256s = new Map<number, string>();
if (mode === "serve") {
  for (const name of readdirSync(path.join(dataDir, "downloads"))) {
    const fileId = Number.parseInt(name, 10);
    sha256s.set(
      fileId,
      createHash("sha256")
        .update(readFileSync(path.join(dataDir, fileKey(fileId))))
        .digest("hex"),
    );
  }
}

function handle(call: ServerWritableStream<DownloadRequest, DownloadResponse>): void {
  const { fileId } = call.request;
  call.write(
    statusResponse({
      phase: DownloadPhase.DOWNLOAD_PHASE_PROCESSING,
      progressPercent: 0,
      estimatedRemainingMs: 0,
      message: "processing",
      jobId: "bare",
      joinedExistingJob: false,
    }),
  );
  if (mode === "hold") return;
  const sha256 = sha256s.get(fileId);
  if (sha256 === undefined) {
    call.emit("error", { code: status.NOT_FOUND, details: `file ${fileId} not found` });
    return;
  }
  let offset = 0;
  const stream = createReadStream(path.join(dataDir!, fileKey(fileId)), { highWaterMark: 1024 * 1024 });
  stream.on("data", (piece: string | Buffer) => {
    const data = piece as Buffer; // no encoding was set: always a Buffer
    if (!call.write({ event: { $case: "chunk", value: { offset, data } } })) {
      stream.pause();
      call.once("drain", () => stream.resume());
    }
    offset += data.length;
  });
  stream.on("end", () => {
    call.write({
      event: { $case: "complete", value: { bytesSent: offset, sha256, processingDuration: undefined } },
    });
    call.end();
  });
  call.once("cancelled", () => stream.destroy());
}

const implementation: DownloadServiceServer = {
  download: handle,
  checkFile: (_call, callback) =>
    callback({ code: status.UNIMPLEMENTED, details: "the floor serves Download only" }),
  prepareFiles: (_call, callback) =>
    callback({ code: status.UNIMPLEMENTED, details: "the floor serves Download only" }),
};

const server = new Server({ "grpc.enable_channelz": 0 });
server.addService(
  {
    ...DownloadServiceService,
    download: { ...DownloadServiceService.download, responseSerialize: serializeDownloadResponseForGrpc },
  },
  implementation,
);
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  send({ kind: "ready", port });
});
process.on("message", (command: ServerCommand) => {
  if (command.kind === "stop") process.exit(0);
});
