export * from './tracing';
export { SpanKind, SpanStatusCode, trace, context, type Span, type Tracer } from '@opentelemetry/api';
