import { GrpcInstrumentation } from "@opentelemetry/instrumentation-grpc";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base";

export interface TracingOptions {
  readonly serviceName: string;
  /** OTLP/HTTP base URL; spans go to {endpoint}/v1/traces. */
  readonly otlpEndpoint?: URL;
  /** Tests hand in an in-memory exporter's processor. */
  readonly spanProcessors?: SpanProcessor[];
}

/**
 * OpenTelemetry for the process: grpc-js instrumentation (server spans for every call, context
 * from a caller's traceparent) and our own spans. Must run before @grpc/grpc-js is required,
 * which is why it is loaded with `node -r` (see tracing.ts).
 */
export function startTracing(options: TracingOptions): NodeSDK {
  const processors = [...(options.spanProcessors ?? [])];
  if (options.otlpEndpoint) {
    const base = options.otlpEndpoint.href.endsWith("/")
      ? options.otlpEndpoint.href
      : `${options.otlpEndpoint.href}/`;
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: new URL("v1/traces", base).href })));
  }
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    instrumentations: [new GrpcInstrumentation()],
    spanProcessors: processors,
    // Traces only: metrics are prom-client's (/metrics), logs are winston's (stdout).
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return sdk;
}
