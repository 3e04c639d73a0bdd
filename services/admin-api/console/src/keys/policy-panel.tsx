import type { PolicyRule } from '../api/types';
import { useApp } from '../app-context';
import { count, duration, usd, when } from '../format';
import { ErrorNotice } from '../ui/controls';
import { useInterval, useLoad } from '../ui/use-load';

const NAMES: Record<string, string> = {
  status: 'Status',
  ipAllowlist: 'IP allow-list',
  expiresAt: 'Expiry',
  operations: 'Operations',
  models: 'Models',
  providerIds: 'Providers',
  regenerate: 'Previous secret',
  maxParallelRequests: 'Max parallel requests',
  requestsPerMinute: 'Requests per minute',
  requestsPerHour: 'Requests per hour',
  requestsPerDay: 'Requests per day',
  tokensPerMinute: 'Tokens per minute',
  budget: 'Budget',
};

function setting(rule: PolicyRule): string {
  const s = rule.setting;
  if (s === null || s === undefined) return rule.rule === 'expiresAt' ? 'never' : 'no limit';
  if (Array.isArray(s)) return s.length ? s.join(', ') : 'none';
  if (rule.rule === 'expiresAt' && typeof s === 'string') return when(s);
  if (rule.rule === 'budget' && typeof s === 'object') {
    const b = s as { maxUsd: number | string; period: string | null; alertThresholds?: number[] };
    return `${usd(b.maxUsd)} ${b.period ? `per ${b.period}` : 'for the key\u2019s lifetime'}${b.alertThresholds?.length ? `, alerts at ${b.alertThresholds.join('/')}%` : ''}`;
  }
  if (rule.rule === 'regenerate' && typeof s === 'object')
    return `works until ${when((s as { previousSecretWorksUntil: string }).previousSecretWorksUntil)}`;
  return typeof s === 'object' ? JSON.stringify(s) : String(s);
}

function state(rule: PolicyRule): string {
  const st = rule.state as Record<string, number | string | boolean | null> | undefined;
  if (!st) return '';
  if (rule.rule === 'status') return st.usable ? 'usable' : 'refused';
  if (rule.rule === 'expiresAt') return st.expired ? 'expired' : '';
  if (rule.rule === 'budget') {
    return `spent ${usd(st.spentUsd as number)} · reserved ${usd(st.reservedUsd as number)} · remaining ${usd(st.remainingUsd as number)} · resets ${st.resetsAt ? when(st.resetsAt as string) : 'never'}`;
  }
  if (rule.rule === 'maxParallelRequests')
    return `${count(st.inFlight as number)} of ${count(st.limit as number)} in flight`;
  if ('used' in st) {
    const left = `${count(st.used as number)} used of ${count(st.limit as number)}, ${count(st.remaining as number)} left`;
    return (st.remaining as number) === 0 ? `${left}; free again in ${duration(st.resetsInMs as number)}` : left;
  }
  return '';
}

/** The key's rules as policy enforces them right now, refreshed every 5 s. */
export function PolicyPanel({ keyId, refresh }: { keyId: string; refresh: number }) {
  const { api } = useApp();
  const { data, error, reload } = useLoad(
    () => api.get<{ status: string; rules: PolicyRule[] }>(`/keys/${encodeURIComponent(keyId)}/effective-policy`),
    [keyId, refresh],
  );
  useInterval(() => void reload(), 5000);
  return (
    <section aria-labelledby="policy-title">
      <h2 id="policy-title">Effective policy</h2>
      <p class="hint">As policy enforces it now, with the live rate-limit windows and budget (refreshed every 5 s).</p>
      <ErrorNotice error={error} />
      {data && (
        <table data-testid="effective-policy">
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Setting</th>
              <th scope="col">Now</th>
            </tr>
          </thead>
          <tbody>
            {data.rules.map((r) => (
              <tr key={r.rule} data-rule={r.rule}>
                <th scope="row">{NAMES[r.rule] ?? r.rule}</th>
                <td>{setting(r)}</td>
                <td>{state(r)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
