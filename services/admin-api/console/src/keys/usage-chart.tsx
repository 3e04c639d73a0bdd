import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import type { UsagePoint, UsageReport } from '../api/types';
import { useApp } from '../app-context';
import { count, usd, when } from '../format';
import { ErrorNotice, Select } from '../ui/controls';
import { useLoad } from '../ui/use-load';

type Metric = 'requests' | 'tokens' | 'spend';
const RANGE = { hour: 48 * 3_600_000, day: 30 * 86_400_000 };

const pointValue = (p: UsagePoint, metric: Metric) =>
  metric === 'requests' ? p.requests : metric === 'tokens' ? p.inputTokens + p.outputTokens : Number(p.spendUsd);

/** A key's requests, tokens or spend per hour (48 h) or per day (30 days), with the numbers as a table too. */
export function UsageChart({ keyId, refresh }: { keyId: string; refresh: number }) {
  const { api } = useApp();
  const [granularity, setGranularity] = useState<'hour' | 'day'>('hour');
  const [metric, setMetric] = useState<Metric>('requests');
  const { data, error } = useLoad(
    () =>
      api.get<UsageReport>(`/keys/${encodeURIComponent(keyId)}/usage`, {
        granularity,
        from: new Date(Date.now() - RANGE[granularity]).toISOString(),
      }),
    [keyId, granularity, refresh],
  );
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!data || !box.current) return;
    const el = box.current;
    const xs = data.series.map((p) => Date.parse(p.start) / 1000);
    const ys = data.series.map((p) => pointValue(p, metric));
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 220,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => (metric === 'spend' ? usd(t) : count(t))), size: 70 }],
        series: [
          {},
          {
            label: metric,
            stroke: '#2463eb',
            fill: 'rgba(36,99,235,0.12)',
            width: 2,
            paths: uPlot.paths.stepped!({ align: 1 }),
          },
        ],
        legend: { show: false },
      },
      [xs, ys],
      el,
    );
    const onResize = () => plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 });
    addEventListener('resize', onResize);
    return () => {
      removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [data, metric]);
  const t = data?.totals;
  return (
    <section aria-labelledby="usage-title">
      <h2 id="usage-title">Usage</h2>
      <div class="filters">
        <Select
          label="Per"
          value={granularity}
          onValue={(v) => setGranularity(v as 'hour' | 'day')}
          options={[
            ['hour', 'Hour (last 48 h)'],
            ['day', 'Day (last 30 days)'],
          ]}
        />
        <Select
          label="Show"
          value={metric}
          onValue={(v) => setMetric(v as Metric)}
          options={[
            ['requests', 'Requests'],
            ['tokens', 'Tokens'],
            ['spend', 'Spend'],
          ]}
        />
      </div>
      <ErrorNotice error={error} />
      {t && (
        <dl class="totals" data-testid="usage-totals">
          <div>
            <dt>Requests</dt>
            <dd>{count(t.requests)}</dd>
          </div>
          <div>
            <dt>Input tokens</dt>
            <dd>{count(t.inputTokens)}</dd>
          </div>
          <div>
            <dt>Output tokens</dt>
            <dd>{count(t.outputTokens)}</dd>
          </div>
          <div>
            <dt>Spend</dt>
            <dd>{usd(t.spendUsd)}</dd>
          </div>
          <div>
            <dt>Errors</dt>
            <dd>{count(t.errors)}</dd>
          </div>
        </dl>
      )}
      <div
        ref={box}
        class="chart"
        role="img"
        aria-label={`Chart of ${metric} per ${granularity}; the same numbers are in the table below it`}
      />
      {data && (
        <details>
          <summary>Usage as a table</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">{granularity === 'hour' ? 'Hour' : 'Day'} (UTC)</th>
                <th scope="col" class="num">
                  Requests
                </th>
                <th scope="col" class="num">
                  Tokens
                </th>
                <th scope="col" class="num">
                  Spend
                </th>
              </tr>
            </thead>
            <tbody>
              {data.series
                .filter((p) => p.requests > 0)
                .map((p) => (
                  <tr key={p.start}>
                    <td>{when(p.start)}</td>
                    <td class="num">{count(p.requests)}</td>
                    <td class="num">{count(p.inputTokens + p.outputTokens)}</td>
                    <td class="num">{usd(p.spendUsd)}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </details>
      )}
    </section>
  );
}
