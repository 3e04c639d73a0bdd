import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type GaugeMetricData,
  type HistogramMetricData,
  type MetricData,
  type MetricProducer,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';

/** One attribute set of a histogram, bound once: recording into it is a bucket search and four additions. */
export interface HistogramSeries {
  record(value: number): void;
}

class Series implements HistogramSeries {
  readonly counts: number[];
  sum = 0;
  count = 0;
  min = Infinity;
  max = -Infinity;

  constructor(
    readonly attributes: Attributes,
    private readonly boundaries: readonly number[],
    readonly startTime: HrTime,
  ) {
    this.counts = new Array<number>(boundaries.length + 1).fill(0);
  }

  record(value: number): void {
    if (!(value >= 0)) return; // durations and token counts: never negative, never NaN
    const b = this.boundaries;
    let i = 0;
    while (i < b.length && value > b[i]) i++; // inclusive upper bounds, as OpenTelemetry's buckets
    this.counts[i]++;
    this.sum += value;
    this.count++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }
}

export interface BoundHistogramOptions {
  description: string;
  unit: string;
  boundaries: readonly number[];
}

export class BoundHistogram {
  readonly #series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly options: BoundHistogramOptions,
  ) {}

  /** The series of these attributes under `id` (the caller's own key for them), made on first use. */
  series(id: string, attributes: Attributes): HistogramSeries {
    let s = this.#series.get(id);
    if (!s) this.#series.set(id, (s = new Series(attributes, this.options.boundaries, millisToHrTime(Date.now()))));
    return s;
  }

  toMetricData(now: HrTime): HistogramMetricData {
    return {
      descriptor: {
        name: this.name,
        description: this.options.description,
        unit: this.options.unit,
        valueType: ValueType.DOUBLE,
      },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: [...this.#series.values()]
        .filter((s) => s.count > 0)
        .map((s) => ({
          attributes: s.attributes,
          startTime: s.startTime,
          endTime: now,
          value: {
            buckets: { boundaries: [...this.options.boundaries], counts: [...s.counts] },
            sum: s.sum,
            count: s.count,
            min: s.min,
            max: s.max,
          },
        })),
    };
  }
}

/** One value of a counter or gauge, with its attribute set made once by the caller. */
export interface Point {
  attributes: Attributes;
  value: number;
}

export interface DirectMetricOptions {
  description: string;
  unit?: string;
}

/** A monotonic counter's cumulative values since `startTime`, as the SDK would export it. */
export function counterData(
  name: string,
  options: DirectMetricOptions,
  startTime: HrTime,
  now: HrTime,
  points: Iterable<Point>,
): SumMetricData {
  return {
    descriptor: { name, description: options.description, unit: options.unit ?? '', valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: true,
    dataPoints: [...points].map((p) => ({ attributes: p.attributes, startTime, endTime: now, value: p.value })),
  };
}

/** A gauge's values now. */
export function gaugeData(
  name: string,
  options: DirectMetricOptions,
  now: HrTime,
  points: Iterable<Point>,
): GaugeMetricData {
  return {
    descriptor: { name, description: options.description, unit: options.unit ?? '', valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints: [...points].map((p) => ({ attributes: p.attributes, startTime: now, endTime: now, value: p.value })),
  };
}

/**
 * Metrics with many series that Sluice aggregates itself, exported with the SDK's instruments
 * through the metric readers (a MetricProducer). The SDK hashes a measurement's attributes (a sort
 * and a JSON.stringify) on every `record` and every observation: ~1–2 µs a call per histogram on
 * the request path, and ~0.5 s per scrape of 20,000 per-key series, blocking the event loop. Here
 * histograms are bound to their attribute sets once, and per-key counters and gauges are read
 * from the service's own tallies with attribute objects made once per series.
 */
export class DirectMetrics implements MetricProducer {
  readonly #byScope = new Map<
    string,
    { histograms: BoundHistogram[]; collectors: ((now: HrTime) => MetricData[])[] }
  >();

  #scope(scope: string) {
    let s = this.#byScope.get(scope);
    if (!s) this.#byScope.set(scope, (s = { histograms: [], collectors: [] }));
    return s;
  }

  histogram(scope: string, name: string, options: BoundHistogramOptions): BoundHistogram {
    const histogram = new BoundHistogram(name, options);
    this.#scope(scope).histograms.push(histogram);
    return histogram;
  }

  /** `collect` is called at each collection for the current values of the scope's own metrics. */
  collectWith(scope: string, collect: (now: HrTime) => MetricData[]): void {
    this.#scope(scope).collectors.push(collect);
  }

  async collect(): Promise<CollectionResult> {
    const now = millisToHrTime(Date.now());
    const errors: unknown[] = [];
    const scopeMetrics = [...this.#byScope].map(([scope, { histograms, collectors }]) => {
      const metrics: MetricData[] = histograms.map((h) => h.toMetricData(now));
      for (const collect of collectors) {
        try {
          metrics.push(...collect(now));
        } catch (err) {
          errors.push(err);
        }
      }
      return { scope: { name: scope }, metrics };
    });
    return { resourceMetrics: { resource: emptyResource(), scopeMetrics }, errors };
  }
}
