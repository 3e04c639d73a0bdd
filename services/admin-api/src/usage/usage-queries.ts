import { sql, type Kysely } from 'kysely';
import { DomainError, ErrorCodes, nanosOfUsd, usdOfNanos, type UsageBucket, type UsageTotals } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { bucketStarts, type UsageRange } from './usage-range';

export type GroupBy = 'key' | 'model' | 'provider' | 'session';
const GROUP_COLUMN = {
  key: sql.ref('u.key_id'),
  model: sql.ref('u.model'),
  provider: sql.ref('u.provider_id'),
  session: sql.ref('u.session_id'),
} as const;

interface Row {
  grp: string | null;
  start: Date | null;
  requests: string;
  input_tokens: string;
  cached_input_tokens: string;
  cache_write_input_tokens: string;
  output_tokens: string;
  reasoning_tokens: string;
  spend_usd: string;
  errors: string;
}

/** Totals as they are added up: money in integer nano-dollars, so sums are exact. */
type Sums = Omit<UsageTotals, 'spendUsd'> & { spendNanos: number };

const emptySums = (): Sums => ({
  requests: 0,
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteInputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  spendNanos: 0,
  errors: 0,
});

/**
 * Sums per (group, UTC bucket) in one pass over [from, to); totals and zero-filled series are put
 * together here so a chart gets one point per bucket even where nothing ran.
 */
async function aggregate(
  db: Kysely<Database>,
  range: UsageRange,
  filter: { keyId?: string },
  groupBy?: GroupBy,
): Promise<Row[]> {
  const grp = groupBy ? GROUP_COLUMN[groupBy] : sql`null::text`;
  const keyFilter = filter.keyId === undefined ? sql`` : sql`and u.key_id = ${filter.keyId}`;
  const result = await sql<Row>`
    select ${grp} as grp,
           date_trunc(${range.granularity}, u.started_at, 'UTC') as start,
           count(*) as requests,
           coalesce(sum(u.input_tokens), 0) as input_tokens,
           coalesce(sum(u.cached_input_tokens), 0) as cached_input_tokens,
           coalesce(sum(u.cache_write_input_tokens), 0) as cache_write_input_tokens,
           coalesce(sum(u.output_tokens), 0) as output_tokens,
           coalesce(sum(u.reasoning_tokens), 0) as reasoning_tokens,
           coalesce(sum(u.cost_usd), 0) as spend_usd,
           count(*) filter (where u.status >= 400) as errors
      from usage_calls u
     where u.started_at >= ${range.from} and u.started_at < ${range.to} ${keyFilter}
     group by 1, 2`.execute(db);
  return result.rows;
}

function addRow(totals: Sums, r: Row): void {
  totals.requests += Number(r.requests);
  totals.inputTokens += Number(r.input_tokens);
  totals.cachedInputTokens += Number(r.cached_input_tokens);
  totals.cacheWriteInputTokens += Number(r.cache_write_input_tokens);
  totals.outputTokens += Number(r.output_tokens);
  totals.reasoningTokens += Number(r.reasoning_tokens);
  totals.spendNanos += nanosOfUsd(r.spend_usd);
  totals.errors += Number(r.errors);
}

function summarise(rows: Row[], range: UsageRange): { totals: UsageTotals; series: UsageBucket[] } {
  const totals = emptySums();
  const byStart = new Map<number, Sums>();
  for (const r of rows) {
    addRow(totals, r);
    const t = new Date(r.start as Date).getTime();
    const bucket = byStart.get(t) ?? emptySums();
    addRow(bucket, r);
    byStart.set(t, bucket);
  }
  const series = bucketStarts(range).map((start) => {
    const b = byStart.get(start.getTime()) ?? emptySums();
    return {
      start: start.toISOString(),
      requests: b.requests,
      inputTokens: b.inputTokens,
      outputTokens: b.outputTokens,
      spendUsd: usdOfNanos(b.spendNanos),
      errors: b.errors,
    };
  });
  const { spendNanos, ...counts } = totals;
  return { totals: { ...counts, spendUsd: usdOfNanos(spendNanos) }, series };
}

const rangeOut = (range: UsageRange) => ({
  from: range.from.toISOString(),
  to: range.to.toISOString(),
  granularity: range.granularity,
});

export async function keyUsage(db: Kysely<Database>, keyId: string, range: UsageRange) {
  const key = await db.selectFrom('keys_view').select('id').where('id', '=', keyId).executeTakeFirst();
  if (!key) throw new DomainError(ErrorCodes.keyNotFound, `key ${keyId} does not exist`);
  const { totals, series } = summarise(await aggregate(db, range, { keyId }), range);
  return { keyId, ...rangeOut(range), totals, series };
}

export interface UsageGroup {
  id: string;
  name: string | null;
  totals: UsageTotals;
  series: UsageBucket[];
}

export interface UsageOverview extends ReturnType<typeof rangeOut> {
  groupBy: GroupBy | null;
  totals: UsageTotals;
  series: UsageBucket[];
  groups?: UsageGroup[];
}

/** Cards (totals) and series for everything; with groupBy, the same per key, model or provider, highest spend first. */
export async function usageOverview(
  db: Kysely<Database>,
  range: UsageRange,
  groupBy: GroupBy | undefined,
  limit: number,
): Promise<UsageOverview> {
  const rows = await aggregate(db, range, {}, groupBy);
  const overall = summarise(rows, range);
  if (!groupBy) return { ...rangeOut(range), groupBy: null, ...overall };
  const perGroup = new Map<string, Row[]>();
  for (const r of rows) perGroup.set(r.grp ?? '', [...(perGroup.get(r.grp ?? '') ?? []), r]);
  const ids = [...perGroup.keys()];
  const names = await namesOf(db, groupBy, ids);
  const groups: UsageGroup[] = ids
    .map((id) => ({
      id,
      name: groupBy === 'model' || groupBy === 'session' ? id : (names.get(id) ?? null),
      ...summarise(perGroup.get(id) ?? [], range),
    }))
    .sort(
      (a, b) =>
        b.totals.spendUsd - a.totals.spendUsd || b.totals.requests - a.totals.requests || a.id.localeCompare(b.id),
    )
    .slice(0, limit);
  return { ...rangeOut(range), groupBy, ...overall, groups };
}

async function namesOf(db: Kysely<Database>, groupBy: GroupBy, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0 || groupBy === 'model' || groupBy === 'session') return new Map();
  const table = groupBy === 'key' ? 'keys_view' : 'providers_view';
  const rows = await db.selectFrom(table).select(['id', 'name']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}
