import { loadConfig } from "./config/config";
import { ConfigError } from "./config/config-error";
import { createLogger } from "./observability/logger";
import { flushTraces } from "./observability/spans";
import { startServer } from "./server/start-server";

/** Wiring only: configuration, start, signals. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`delineate: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
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
