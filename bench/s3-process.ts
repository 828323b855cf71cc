import { startS3 } from "../test/support/s3-server";
import { send, type ServerCommand } from "./lib/ipc";

/** s3rver (a real S3 protocol peer) in its own process, with the bucket made. */
void startS3().then((s3) => {
  send({ kind: "ready", port: Number(new URL(s3.endpoint).port) });
  process.on("message", (command: ServerCommand) => {
    if (command.kind === "stop") void s3.close().then(() => process.exit(0));
  });
});
