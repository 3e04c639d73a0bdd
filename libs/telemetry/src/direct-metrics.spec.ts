import { millisToHrTime } from '@opentelemetry/core';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import { BoundHistogram, counterData, DirectMetrics } from './direct-metrics';

describe('direct metrics', () => {
  it('counts a histogram value in the first bucket whose upper bound it does not pass, and ignores what no duration can be', () => {
    const h = new BoundHistogram('latency', { description: 'd', unit: 's', boundaries: [0.001, 0.01, 0.1] });
    const series = h.series('a', { model: 'm' });
    for (const v of [0.0005, 0.001, 0.0011, 0.1, 5, -1, Number.NaN]) series.record(v);
    const [point] = h.toMetricData(millisToHrTime(Date.now())).dataPoints;
    expect(point.value).toEqual({
      buckets: { boundaries: [0.001, 0.01, 0.1], counts: [2, 1, 1, 1] },
      sum: 5.1026,
      count: 5,
      min: 0.0005,
      max: 5,
    });
    expect(point.attributes).toEqual({ model: 'm' });
  });

  it('binds a series once per id: the same id records into the same buckets', () => {
    const h = new BoundHistogram('tokens', { description: 'd', unit: '{token}', boundaries: [10] });
    h.series('x', { k: 'v' }).record(1);
    h.series('x', { k: 'other' }).record(20);
    const data = h.toMetricData(millisToHrTime(Date.now()));
    expect(data.dataPoints).toHaveLength(1);
    expect(data.dataPoints[0].value).toMatchObject({ count: 2, buckets: { counts: [1, 1] } });
  });

  it('hands every scope its histograms and collected counters, cumulative, and reports a collector that throws', async () => {
    const direct = new DirectMetrics();
    direct
      .histogram('svc', 'h', { description: 'd', unit: 's', boundaries: [1] })
      .series('s', {})
      .record(0.5);
    const start = millisToHrTime(Date.now());
    direct.collectWith('svc', (now) => [
      counterData('calls', { description: 'c' }, start, now, [{ attributes: { key_id: 'k' }, value: 3 }]),
    ]);
    direct.collectWith('svc', () => {
      throw new Error('boom');
    });
    const { resourceMetrics, errors } = await direct.collect();
    expect(errors).toHaveLength(1);
    const [scope] = resourceMetrics.scopeMetrics;
    expect(scope.scope.name).toBe('svc');
    expect(scope.metrics.map((m) => [m.descriptor.name, m.dataPointType])).toEqual([
      ['h', DataPointType.HISTOGRAM],
      ['calls', DataPointType.SUM],
    ]);
    expect(scope.metrics[1].dataPoints[0]).toMatchObject({ attributes: { key_id: 'k' }, value: 3, startTime: start });
  });
});
