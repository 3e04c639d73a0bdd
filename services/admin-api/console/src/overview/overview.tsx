import { useApp } from '../app-context';
import type { UsageReport } from '../api/types';
import { count, percent, ratio, relative, usd, when } from '../format';
import { expiringSoon, liveKeys, overThreshold } from '../keys/all-keys';
import { Onboarding } from '../keys/onboarding';
import { Bar, ErrorNotice } from '../ui/controls';
import { useLoad } from '../ui/use-load';

const DAY = 86_400_000;

export function Overview() {
  const { api } = useApp();
  const loaded = useLoad(async () => {
    const now = Date.now();
    const today = new Date(now);
    today.setUTCHours(0, 0, 0, 0);
    const month = new Date(today.getTime() - 29 * DAY).toISOString();
    const [day, byKey, byModel, live] = await Promise.all([
      api.get<UsageReport>('/usage', { from: today.toISOString(), granularity: 'hour' }),
      api.get<UsageReport>('/usage', { from: month, granularity: 'day', groupBy: 'key', limit: 5 }),
      api.get<UsageReport>('/usage', { from: month, granularity: 'day', groupBy: 'model', limit: 5 }),
      liveKeys(api),
    ]);
    return { now, day, byKey, byModel, live };
  }, []);
  const d = loaded.data;
  return (
    <section>
      <h1>Overview</h1>
      <ErrorNotice error={loaded.error} />
      {!d ? (
        <p class="loading">Loading…</p>
      ) : (
        <>
          {d.live.keys.length === 0 && <Onboarding />}
          <div class="cards">
            <Card title="Requests today" value={count(d.day.totals.requests)} />
            <Card title="Spend today" value={usd(d.day.totals.spendUsd)} />
            <Card title="Requests, 30 days" value={count(d.byKey.totals.requests)} />
            <Card title="Spend, 30 days" value={usd(d.byKey.totals.spendUsd)} />
            <Card
              title="Error rate today"
              value={percent(d.day.totals.errors, d.day.totals.requests)}
              note={`${count(d.day.totals.errors)} of ${count(d.day.totals.requests)} calls answered ≥ 400`}
            />
            <Card
              title="Error rate, 30 days"
              value={percent(d.byKey.totals.errors, d.byKey.totals.requests)}
              note={`${count(d.byKey.totals.errors)} of ${count(d.byKey.totals.requests)}`}
            />
          </div>
          <div class="columns">
            <Top
              title="Top keys by spend, 30 days"
              rows={(d.byKey.groups ?? []).map((g) => ({
                href: `#/keys/${encodeURIComponent(g.id)}`,
                name: g.name ?? g.id,
                ...g.totals,
              }))}
            />
            <Top
              title="Top models by spend, 30 days"
              rows={(d.byModel.groups ?? []).map((g) => ({ name: g.name ?? g.id, ...g.totals }))}
            />
          </div>
          <h2>Budgets above their alert thresholds</h2>
          {overThreshold(d.live.keys).length === 0 ? (
            <p class="empty">No key has reached an alert threshold in its current period.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Spent</th>
                  <th scope="col">Budget</th>
                  <th scope="col">Thresholds reached</th>
                  <th scope="col">Resets</th>
                </tr>
              </thead>
              <tbody>
                {overThreshold(d.live.keys).map((k) => (
                  <tr key={k.id}>
                    <td>
                      <a href={`#/keys/${k.id}`}>{k.name}</a>
                    </td>
                    <td>
                      <Bar
                        value={ratio(k.budget!.spentUsd, k.budget!.maxUsd)}
                        label={`${usd(k.budget!.spentUsd)} of ${usd(k.budget!.maxUsd)}`}
                        warn
                      />{' '}
                      {usd(k.budget!.spentUsd)}
                    </td>
                    <td>{usd(k.budget!.maxUsd)}</td>
                    <td>{k.budget!.thresholdsReached!.map((t) => `${t}%`).join(', ')}</td>
                    <td>{k.budget!.resetsAt ? when(k.budget!.resetsAt) : 'never (lifetime)'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Keys expiring within 7 days</h2>
          {expiringSoon(d.live.keys, d.now, 7 * DAY).length === 0 ? (
            <p class="empty">No live key expires in the next 7 days.</p>
          ) : (
            <ul class="plain">
              {expiringSoon(d.live.keys, d.now, 7 * DAY).map((k) => (
                <li key={k.id}>
                  <a href={`#/keys/${k.id}`}>{k.name}</a> expires {relative(k.expiresAt, d.now)} ({when(k.expiresAt)})
                </li>
              ))}
            </ul>
          )}
          {d.live.truncated && (
            <p class="hint">Only the first 2,000 live keys were checked for thresholds and expiry.</p>
          )}
        </>
      )}
    </section>
  );
}

function Card({ title, value, note }: { title: string; value: string; note?: string }) {
  return (
    <div class="card stat">
      <h2>{title}</h2>
      <p class="stat-value">{value}</p>
      {note && <p class="hint">{note}</p>}
    </div>
  );
}

function Top({
  title,
  rows,
}: {
  title: string;
  rows: { name: string; href?: string; requests: number; spendUsd: number | string }[];
}) {
  return (
    <div>
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <p class="empty">No calls in the last 30 days.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" class="num">
                Requests
              </th>
              <th scope="col" class="num">
                Spend
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name}>
                <td>{r.href ? <a href={r.href}>{r.name}</a> : r.name}</td>
                <td class="num">{count(r.requests)}</td>
                <td class="num">{usd(r.spendUsd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
