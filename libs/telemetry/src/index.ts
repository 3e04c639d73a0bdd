export * from './tracing';
export * from './metrics';
export * from './connectivity';
export { SpanKind, SpanStatusCode, trace, context, type Span, type Tracer, type Meter, type Attributes } from '@opentelemetry/api';
