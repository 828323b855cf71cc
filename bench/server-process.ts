import { loadConfig } from "../src/config/config";
import { createLogger } from "../src/observability/logger";
import { startServer } from "../src/server/start-server";
import { send, type ServerCommand } from "./lib/ipc";

/** The real service in its own process, configured from the environment the runner gives it. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  let scans = 0;
  const running = await startServer(config, {
    logger: createLogger(config.logLevel),
    onScan: () => (scans += 1),
  });
  process.on("message", (command: ServerCommand) => {
    if (command.kind === "stats") send({ kind: "stats", scans, rssBytes: process.memoryUsage.rss() });
    if (command.kind === "stop") void running.shutdown().then(() => process.exit(0));
  });
  send({ kind: "ready", port: running.port });
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
