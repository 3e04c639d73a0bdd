import { sql, type Kysely } from 'kysely';
import type { Database } from '@sluice/db';
import type { KeyPolicy } from '../keys/key-table';
import type { Limiter } from './limiter';

const DAY = 86_400_000;
const MINUTE = 60_000;

/**
 * Restores counters after a restart from the usage metering recorded in Postgres, for calls that
 * started before `until`; the usage stream from `until` on is replayed on top (see
 * PolicyRuntime), so each call counts once. Windows of a minute lie entirely after `until` and
 * come from the stream alone; the hour and day windows and each budget's current period are summed
 * here. Policy reads Postgres only at start, never to answer a call.
 */
export async function rebuildFromRecords(db: Kysely<Database>, keys: Iterable<KeyPolicy>, limiter: Limiter, until: number, now: number): Promise<{ keys: number; requests: number }> {
  const windowed: string[] = [];
  const limitsOf = new Map<string, KeyPolicy['rateLimits']>();
  const budgeted: { keyId: string; start: number }[] = [];
  for (const key of keys) {
    if (key.status === 'revoked') continue;
    if (key.rateLimits?.requestsPerHour || key.rateLimits?.requestsPerDay) {
      windowed.push(key.keyId);
      limitsOf.set(key.keyId, key.rateLimits);
    }
    if (key.budget) {
      const ledger = limiter.counters(key.keyId).ledger(key, now);
      if (ledger && ledger.periodStart < until) budgeted.push({ keyId: key.keyId, start: ledger.periodStart });
    }
  }
  let requests = 0;
  if (windowed.length > 0) {
    const rows = await sql<{ key_id: string; minute: string; calls: string }>`
      select key_id, floor(extract(epoch from started_at) * 1000 / ${MINUTE})::bigint as minute, count(*) as calls
      from usage_records
      where key_id = any(${windowed}::text[]) and started_at >= ${new Date(now - DAY)} and started_at < ${new Date(until)}
      group by 1, 2`.execute(db);
    for (const row of rows.rows) {
      const counters = limiter.counters(row.key_id);
      const at = Number(row.minute) * MINUTE;
      const calls = Number(row.calls);
      requests += calls;
      for (const rule of ['requestsPerHour', 'requestsPerDay'] as const) if (limitsOf.get(row.key_id)?.[rule]) counters.window(rule).add(at, calls);
    }
  }
  if (budgeted.length > 0) {
    const rows = await sql<{ key_id: string; spent: string }>`
      select u.key_id, sum(u.cost_usd) as spent
      from unnest(${budgeted.map((b) => b.keyId)}::text[], ${budgeted.map((b) => new Date(b.start).toISOString())}::timestamptz[]) as p(key_id, period_start)
      join usage_records u on u.key_id = p.key_id and u.started_at >= p.period_start and u.started_at < ${new Date(until)}
      group by u.key_id`.execute(db);
    for (const row of rows.rows) {
      const ledger = limiter.counters(row.key_id).budget;
      if (ledger) ledger.spent += Number(row.spent);
    }
  }
  return { keys: new Set([...windowed, ...budgeted.map((b) => b.keyId)]).size, requests };
}
