import { context, propagation, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

let provider: NodeTracerProvider | undefined;

/**
 * Sets up OpenTelemetry tracing for one service. Spans are exported over OTLP/HTTP when
 * OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set, to the console with
 * SLUICE_TRACE_CONSOLE=1, and not at all otherwise (the API stays a no-op: nothing is recorded).
 * W3C trace context is always propagated, so a caller's `traceparent` survives every hop.
 */
export function initTelemetry(service: string): Tracer {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const processors: SpanProcessor[] = [];
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  }
  if (process.env.SLUICE_TRACE_CONSOLE === '1') processors.push(new BatchSpanProcessor(new ConsoleSpanExporter()));
  if (processors.length > 0 && !provider) {
    provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': `sluice-${service}`, 'service.namespace': 'sluice' }),
      spanProcessors: processors,
    });
    provider.register();
  }
  return trace.getTracer(`sluice-${service}`);
}

export async function shutdownTelemetry(): Promise<void> {
  await provider?.shutdown();
}

/** The context a caller sent in its `traceparent` header, or the active one. */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (!traceparent) return context.active();
  return propagation.extract(context.active(), { traceparent });
}

/** The `traceparent` header value that continues this span on the next hop, if it is recorded. */
export function traceparentOf(span: Span): string | undefined {
  if (!span.isRecording()) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return carrier.traceparent;
}

/** The trace and span of the active context, for log lines (empty when nothing is traced). */
export function activeTraceFields(): { traceId?: string; spanId?: string } {
  const span = trace.getSpan(context.active());
  if (!span?.isRecording()) return {};
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}

/** Runs `fn` with `span` active, so what it logs carries the trace id; untraced, just runs it. */
export function withSpan<T>(span: Span, fn: () => T): T {
  return span.isRecording() ? context.with(trace.setSpan(context.active(), span), fn) : fn();
}
