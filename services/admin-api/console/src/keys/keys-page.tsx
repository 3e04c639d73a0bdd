import { useState } from 'preact/hooks';
import type { Key, KeyStatus, Page } from '../api/types';
import { useApp } from '../app-context';
import { count, duration, ratio, relative, usd, when } from '../format';
import { Bar, ErrorNotice, Select, TextField } from '../ui/controls';
import { useLoad } from '../ui/use-load';
import { Onboarding } from './onboarding';

const PAGE_SIZE = 25;

export function KeysPage() {
  const { api, can } = useApp();
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<KeyStatus | ''>('');
  // The cursors of the pages before this one, to page back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const { data, error, loading } = useLoad(
    () => api.get<Page<Key>>('/keys', { q: search, status, cursor, limit: PAGE_SIZE }),
    [search, status, cursor],
  );
  const now = Date.now();
  const reset = () => setCursors([undefined]);
  const empty = data && data.data.length === 0 && !search && !status && cursors.length === 1;
  return (
    <section>
      <div class="page-head">
        <h1>Keys</h1>
        {can.write && (
          <a class="button primary" href="#/keys/new">
            Create key
          </a>
        )}
      </div>
      <search>
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setSearch(q.trim());
            reset();
          }}
        >
          <TextField label="Search keys" type="search" value={q} onValue={setQ} placeholder="name, id or hint" />
          <Select
            label="Status"
            value={status}
            onValue={(v) => {
              setStatus(v as KeyStatus | '');
              reset();
            }}
            options={[
              ['', 'Any status'],
              ['active', 'Active'],
              ['disabled', 'Disabled'],
              ['expired', 'Expired'],
              ['revoked', 'Revoked'],
            ]}
          />
          <button type="submit">Search</button>
        </form>
      </search>
      <ErrorNotice error={error} />
      {empty ? (
        <Onboarding />
      ) : (
        <div class="table-wrap">
          <table aria-busy={loading ? 'true' : 'false'}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Hint</th>
                <th scope="col">Models</th>
                <th scope="col">Spend / budget</th>
                <th scope="col">Rate limits</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {data?.data.length === 0 && (
                <tr>
                  <td colSpan={8} class="empty">
                    No key matches.
                  </td>
                </tr>
              )}
              {data?.data.map((k) => (
                <tr key={k.id}>
                  <td>
                    <a href={`#/keys/${encodeURIComponent(k.id)}`}>{k.name}</a>
                  </td>
                  <td>
                    <span class={`status status-${k.status}`}>{k.status}</span>
                  </td>
                  <td class="mono">{k.keyHint}</td>
                  <td>{k.models === null ? 'all' : k.models.length === 0 ? 'none' : k.models.join(', ')}</td>
                  <td>
                    <SpendCell k={k} />
                  </td>
                  <td>{rateSummary(k)}</td>
                  <td title={when(k.lastUsedAt)}>{relative(k.lastUsedAt, now)}</td>
                  <td title={when(k.expiresAt)}>{k.expiresAt ? relative(k.expiresAt, now) : 'never'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {cursors.length}</span>
        <button type="button" disabled={!data?.nextCursor} onClick={() => setCursors((c) => [...c, data!.nextCursor!])}>
          Next page
        </button>
      </nav>
    </section>
  );
}

function SpendCell({ k }: { k: Key }) {
  const b = k.budget;
  if (!b) return <span>{usd(k.usage.spendUsd)} (no budget)</span>;
  if (b.spentUsd === undefined) return <span>budget {usd(b.maxUsd)}</span>;
  const label = `${usd(b.spentUsd)} of ${usd(b.maxUsd)}`;
  return (
    <span class="spend">
      <Bar value={ratio(b.spentUsd, b.maxUsd)} label={label} warn={(b.thresholdsReached?.length ?? 0) > 0} /> {label}
    </span>
  );
}

/** The tightest window in words: "RPM 12/600", "429 for 20 s". */
function rateSummary(k: Key): string {
  const s = k.rateLimitState;
  if (!k.rateLimits) return '—';
  if (!s) return 'set';
  const names = {
    requestsPerMinute: 'RPM',
    requestsPerHour: 'RPH',
    requestsPerDay: 'RPD',
    tokensPerMinute: 'TPM',
  } as const;
  const parts = (Object.keys(names) as (keyof typeof names)[])
    .filter((n) => s[n])
    .map((n) => {
      const w = s[n]!;
      return w.remaining === 0
        ? `${names[n]} full (${duration(w.resetsInMs)})`
        : `${names[n]} ${count(w.used)}/${count(w.limit)}`;
    });
  if (s.maxParallelRequests) parts.push(`parallel ${s.maxParallelRequests.inFlight}/${s.maxParallelRequests.limit}`);
  return parts.join(' · ');
}
