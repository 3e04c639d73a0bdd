export * from './tracing';
export * from './metrics';
export { counterData, gaugeData, type BoundHistogram, type HistogramSeries, type Point } from './direct-metrics';
export * from './connectivity';
export {
  SpanKind,
  SpanStatusCode,
  trace,
  context,
  type Span,
  type Tracer,
  type Meter,
  type Attributes,
  type HrTime,
} from '@opentelemetry/api';
export { millisToHrTime } from '@opentelemetry/core';
export type { MetricData } from '@opentelemetry/sdk-metrics';
