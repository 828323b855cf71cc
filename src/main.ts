import { loadConfig } from "./config/config";
import { loadOrExit } from "./config/load-or-exit";
import { createLogger } from "./observability/logger";
import { flushTraces } from "./observability/spans";
import { startServer } from "./server/start-server";

/** Wiring only: configuration, start, signals. */
async function main(): Promise<void> {
  const config = loadOrExit(() => loadConfig());
  const logger = createLogger(config.logLevel);
  const running = await startServer(config, { logger });
  const stop = (signal: string) => {
    logger.info("shutdown requested", { signal });
    // A last resort if draining wedges: the grace period plus a margin.
    setTimeout(() => process.exit(1), config.shutdownGraceMs + 5_000).unref();
    running
      .shutdown()
      .then(() => flushTraces())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error("shutdown failed", { error });
          process.exit(1);
        },
      );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `delineate: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
