import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { startTracing } from "../../../src/observability/start-tracing";

/** Imported first by the traced child, so the grpc instrumentation is set up before grpc-js loads. */
export const exporter = new InMemorySpanExporter();
export const sdk = startTracing({
  serviceName: "delineate-test",
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
