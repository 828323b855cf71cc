import { createReadStream } from "node:fs";
import http2 from "node:http2";
import { send, type ServerCommand } from "./lib/ipc";

/**
 * The transport limit: a bare node:http2 server piping the file, nothing else. argv[2] is the file;
 * the receive window is the client's to set, as with gRPC.
 */
const file = process.argv[2];
if (file === undefined) throw new Error("usage: plain-http2-server <file>");
const server = http2.createServer();
server.on("stream", (stream) => {
  stream.respond({ ":status": 200, "content-type": "application/octet-stream" });
  createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(stream);
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  send({ kind: "ready", port: address.port });
});
process.on("message", (command: ServerCommand) => {
  if (command.kind === "stop") process.exit(0);
});
