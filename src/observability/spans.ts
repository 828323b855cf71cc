import {
  ProxyTracerProvider,
  SpanStatusCode,
  trace,
  type Attributes,
  type Link,
  type Span,
  type SpanContext,
} from "@opentelemetry/api";

/** A no-op until a tracer provider is registered (see tracing.ts): spans cost nothing without it. */
export const tracer = trace.getTracer("delineate");

/** True once a tracer provider is registered (tracing.ts); decided when the server is built. */
export function tracingEnabled(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer("delineate") !== undefined;
}

/** Runs `work` in a new active span, recording a thrown error and ending the span either way. */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
  links: Link[] = [],
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes, links }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      failActiveSpan(error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks the active span failed (the error itself goes to the logs). */
export function failActiveSpan(error: unknown): void {
  const span = trace.getActiveSpan();
  span?.recordException(error instanceof Error ? error : String(error));
  span?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : "" });
}

/** The active span's ids, for log lines; undefined when tracing is off. */
export function activeSpanContext(): SpanContext | undefined {
  const context = trace.getActiveSpan()?.spanContext();
  return context && trace.isSpanContextValid(context) ? context : undefined;
}

const jobSpans = new WeakMap<object, SpanContext>();

export function rememberJobSpan(job: object, span: Span): void {
  jobSpans.set(job, span.spanContext());
}

/**
 * A caller that joins a running job gets a short span linked to the job's span (it is not the
 * job's parent: the job belongs to the caller that started it).
 */
export function linkToJob(job: object, attributes: Attributes): void {
  const context = jobSpans.get(job);
  if (!context) return;
  tracer.startSpan("delineate.job.join", { attributes, links: [{ context }] }).end();
}

/** Sends batched spans (before the process exits); nothing to do when tracing is off. */
export async function flushTraces(): Promise<void> {
  const proxy = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const provider = proxy.getDelegate?.() as { forceFlush?: () => Promise<void> } | undefined;
  await provider?.forceFlush?.();
}
