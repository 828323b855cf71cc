/**
 * Preload entry: `node -r ./dist/src/observability/tracing.js dist/src/main.js`. It must run
 * before @grpc/grpc-js is loaded so the grpc instrumentation can patch it. Tracing is on only
 * when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise this does nothing and nothing is exported.
 */
import { loadTracingConfig } from "../config/config";
import { loadOrExit } from "../config/load-or-exit";
import type { startTracing as StartTracing } from "./start-tracing";

function setUp(): void {
  const config = loadOrExit(() => loadTracingConfig());
  if (!config.otlpEndpoint) return;
  // Loaded only when needed (the SDK costs start-up time), and synchronously: tracing must be
  // set up before main loads grpc-js, which an `await import()` would not guarantee.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracing } = require("./start-tracing") as { startTracing: typeof StartTracing };
  // main flushes batched spans (flushTraces) after draining, before it exits.
  startTracing({ serviceName: config.serviceName, otlpEndpoint: config.otlpEndpoint });
}

setUp();
