/**
 * Preload entry: `node -r ./dist/src/observability/tracing.js dist/src/main.js`. It must run
 * before @grpc/grpc-js is loaded so the grpc instrumentation can patch it. Tracing is on only
 * when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise this does nothing and nothing is exported.
 */
import { loadTracingConfig } from "../config/config";
import { ConfigError } from "../config/config-error";
import { startTracing } from "./start-tracing";

function setUp(): void {
  let config;
  try {
    config = loadTracingConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`delineate: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (!config.otlpEndpoint) return;
  // main flushes batched spans (flushTraces) after draining, before it exits.
  startTracing({ serviceName: config.serviceName, otlpEndpoint: config.otlpEndpoint });
}

setUp();
