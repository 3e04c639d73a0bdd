import { sql, type Kysely } from 'kysely';
import { nanosOfUsd } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import type { KeyPolicy } from '../keys/key-table';
import type { Limiter } from './limiter';
import { endedBefore, type RecordsCut } from './recorded-calls';

const DAY = 86_400_000;
const MINUTE = 60_000;

/**
 * Restores counters after a restart from the usage metering recorded in Postgres, for calls that
 * ENDED before `until`; the usage stream from `until` on is replayed on top, counting the calls
 * that ended at or after it (see UsageFollower). Both sides split on the same fact of each call,
 * its end (start + latency), so each call counts once, however long it ran or however late it
 * was recorded. Windows of a minute lie entirely after `until` and come from the stream alone; the
 * hour and day windows and each budget's current period are summed here. Policy reads Postgres
 * only at start (and to look up a rare late message), never to answer a call.
 *
 * Both sums read one snapshot, returned as the cut: a row stored after it (metering behind, a
 * recovered spool) was not summed although its call ended before `until`, and the replay, which
 * looks such a message up (lookUpRecords), counts it.
 */
export async function rebuildFromRecords(
  db: Kysely<Database>,
  keys: Iterable<KeyPolicy>,
  limiter: Limiter,
  until: number,
  now: number,
): Promise<{ keys: number; requests: number; cut: RecordsCut }> {
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
      // The same start the live count uses (budgetCountStart): a budget given to the key mid-period
      // counts from then, a changed period length keeps what was counted before it.
      if (ledger && ledger.countsFrom < until) budgeted.push({ keyId: key.keyId, start: ledger.countsFrom });
    }
  }
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      // The first statement takes the transaction's snapshot: the one every sum below reads.
      const { rows } = await sql<{ snapshot: string }>`select pg_current_snapshot()::text as snapshot`.execute(trx);
      const requests = windowed.length > 0 ? await sumRequests(trx, windowed, limitsOf, limiter, until, now) : 0;
      if (budgeted.length > 0) await sumSpend(trx, budgeted, limiter, until);
      return {
        keys: new Set([...windowed, ...budgeted.map((b) => b.keyId)]).size,
        requests,
        cut: { until, snapshot: rows[0].snapshot },
      };
    });
}

async function sumRequests(
  db: Kysely<Database>,
  windowed: string[],
  limitsOf: Map<string, KeyPolicy['rateLimits']>,
  limiter: Limiter,
  until: number,
  now: number,
): Promise<number> {
  const { rows } = await sql<{ key_id: string; minute: string; calls: string }>`
    select key_id, floor(extract(epoch from started_at) * 1000 / ${MINUTE})::bigint as minute, count(*) as calls
    from usage_ledger
    where key_id = any(${windowed}::text[]) and started_at >= ${new Date(now - DAY)} and ${endedBefore(until)}
    group by 1, 2`.execute(db);
  let requests = 0;
  for (const row of rows) {
    const counters = limiter.counters(row.key_id);
    const at = Number(row.minute) * MINUTE;
    const calls = Number(row.calls);
    requests += calls;
    for (const rule of ['requestsPerHour', 'requestsPerDay'] as const)
      if (limitsOf.get(row.key_id)?.[rule]) counters.window(rule).add(at, calls);
  }
  return requests;
}

async function sumSpend(
  db: Kysely<Database>,
  budgeted: { keyId: string; start: number }[],
  limiter: Limiter,
  until: number,
): Promise<void> {
  // A swept call counts its sweep's charge when the sweep ended before the cut, and the move to
  // its real cost when its late report (the correction) ended before it: each part splits on the
  // end of the message that carried it, as the stream replay does.
  const { rows } = await sql<{ key_id: string; spent: string }>`
    with p(key_id, period_start) as (
      select * from unnest(${budgeted.map((b) => b.keyId)}::text[], ${budgeted.map((b) => new Date(b.start).toISOString())}::timestamptz[]))
    select key_id, sum(cost) as spent from (
      select l.key_id, l.cost_usd as cost
        from p join usage_ledger l on l.key_id = p.key_id and l.started_at >= p.period_start and ${endedBefore(until, 'record')}
      union all
      select l.key_id, l.corrected_cost_usd - l.cost_usd
        from p join usage_ledger l on l.key_id = p.key_id and l.started_at >= p.period_start and l.corrected and ${endedBefore(until, 'correction')}
    ) as charges
    group by key_id`.execute(db);
  for (const row of rows) {
    const ledger = limiter.counters(row.key_id).budget;
    if (ledger) ledger.spent += nanosOfUsd(row.spent);
  }
}
