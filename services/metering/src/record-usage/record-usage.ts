import type { Kysely, Transaction } from 'kysely';
import { executePrepared, type Database } from '@sluice/db';
import { costNanosOfUsage, decimalOfNanos } from '@sluice/contracts';
import type { RecordableUsage } from './clean-usage';
import { reportColumns } from './report-columns';
import { correctSweeps } from './correct-sweeps';

export interface BatchResult {
  /** Request ids this call inserted; the others were already recorded (a redelivery). */
  recorded: Set<string>;
  /** Each request id's cost in nano-dollars, as its usage message carries it. */
  costNanos: Map<string, number>;
  /** Swept calls whose real report this call appended as their correction. */
  corrected: Set<string>;
}

/** The columns metering writes, typed as the table has them. */
const USAGE_COLUMNS = {
  request_id: 'text',
  key_id: 'text',
  model: 'text',
  upstream_model: 'text',
  provider_id: 'text',
  operation: 'text',
  stream: 'boolean',
  status: 'integer',
  input_tokens: 'integer',
  cached_input_tokens: 'integer',
  cache_write_input_tokens: 'integer',
  output_tokens: 'integer',
  reasoning_tokens: 'integer',
  cost_usd: 'numeric',
  estimated: 'boolean',
  latency_ms: 'double precision',
  ttfb_ms: 'double precision',
  client_ip: 'text',
  started_at: 'timestamptz',
  client_request_id: 'text',
  caller_user: 'text',
  caller_metadata: 'jsonb',
  cleaned_fields: 'text[]',
  session_id: 'text',
  swept: 'boolean',
  trace_id: 'text',
} as const;
const USAGE_COLUMN_LIST = Object.keys(USAGE_COLUMNS).join(', ');

/**
 * The calls (one jsonb array, $1) and each key's spend moved by the rows inserted: a data-modifying
 * CTE sees exactly what the insert returned, so a replayed call adds nothing twice.
 */
const RECORD_USAGE = `
  with ins as (
    insert into usage_records (${USAGE_COLUMN_LIST})
    select ${USAGE_COLUMN_LIST}
    from jsonb_to_recordset($1::jsonb) as r(${Object.entries(USAGE_COLUMNS)
      .map(([name, type]) => `${name} ${type}`)
      .join(', ')})
    -- rows in request id order so two overlapping batches wait on each other instead of deadlocking
    order by request_id
    on conflict (request_id) do nothing
    returning request_id, key_id, input_tokens, output_tokens, cost_usd
  ), spend as (
    insert into key_spend as s (key_id, requests, input_tokens, output_tokens, spend_usd)
    select key_id, count(*), sum(input_tokens), sum(output_tokens), sum(cost_usd) from ins
    group by key_id
    -- keys in a fixed order so two batches touching the same keys cannot deadlock
    order by key_id
    on conflict (key_id) do update set
      requests = s.requests + excluded.requests,
      input_tokens = s.input_tokens + excluded.input_tokens,
      output_tokens = s.output_tokens + excluded.output_tokens,
      spend_usd = s.spend_usd + excluded.spend_usd,
      updated_at = now()
  )
  select request_id from ins`;

interface SpendDelta {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  /** Nano-dollars: integers, so the sum is exact (BigInt: a batch's sum is not bounded by one call's). */
  spendNanos: bigint;
}

/**
 * Records a batch of served calls exactly once in one statement: usage rows are unique by
 * request id, and a key's spend moves only by the rows this statement inserted, so a batch
 * replayed in whole or in part (or holding one call twice) adds nothing twice. Metering prices
 * nothing: each call's cost is the one its usage message carries, priced once by the gateway at
 * the price policy admitted it with (a swept call: by policy at its reservation's price), so the
 * record is the number the client's cost header showed and the budget was charged. A real report
 * of a call policy swept (charged its worst case) corrects that record instead (correct-sweeps.ts).
 */
export async function recordUsageBatch(db: Kysely<Database>, batch: readonly RecordableUsage[]): Promise<BatchResult> {
  const unique = new Map<string, RecordableUsage>();
  /** A sweep and the call's own (late) report in one batch, in that order: the report corrects the sweep. */
  const laterReports: RecordableUsage[] = [];
  for (const usage of batch) {
    const first = unique.get(usage.requestId);
    if (!first) unique.set(usage.requestId, usage);
    else if (first.swept && !usage.swept) laterReports.push(usage);
  }
  // Rows in request id order so two overlapping batches wait on each other instead of deadlocking.
  const calls = [...unique.values()].sort((a, b) =>
    a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0,
  );
  const costNanos = new Map<string, number>();
  if (calls.length === 0) return { recorded: new Set(), costNanos, corrected: new Set() };
  for (const usage of calls) costNanos.set(usage.requestId, costNanosOfUsage(usage));
  // One statement, so one round trip and an implicit transaction; prepared, so Postgres plans it once.
  const rows = JSON.stringify(calls.map((usage) => toRow(usage, costNanos.get(usage.requestId)!)));
  const inserted = await executePrepared<{ request_id: string }>(db, 'metering_record_usage', RECORD_USAGE, [rows]);
  const recorded = new Set(inserted.map((row) => row.request_id));
  // Real reports not recorded as a new call: a redelivery, or the late report of a swept call (rare).
  const reports = [...laterReports, ...calls.filter((usage) => !usage.swept && !recorded.has(usage.requestId))];
  const corrected =
    reports.length === 0 ? new Set<string>() : await db.transaction().execute((trx) => correctReports(trx, reports));
  return { recorded, costNanos, corrected };
}

/**
 * Corrects the swept calls among `reports` and moves their keys' spend by the difference, in one
 * transaction: a correction is inserted once (its primary key), and the spend moves only by the
 * corrections this transaction inserted, so a crash before it or a replay of it adds nothing twice.
 */
async function correctReports(trx: Transaction<Database>, reports: readonly RecordableUsage[]): Promise<Set<string>> {
  const spend = new Map<string, SpendDelta>();
  const corrected = await correctSweeps(trx, reports, (keyId, requests, inputTokens, outputTokens, spendNanos) => {
    const delta = spend.get(keyId) ?? { requests: 0, inputTokens: 0, outputTokens: 0, spendNanos: 0n };
    delta.requests += requests;
    delta.inputTokens += inputTokens;
    delta.outputTokens += outputTokens;
    delta.spendNanos += BigInt(spendNanos);
    spend.set(keyId, delta);
  });
  // Keys in a fixed order so two batches touching the same keys cannot deadlock.
  for (const keyId of [...spend.keys()].sort()) {
    const delta = spend.get(keyId)!;
    const spendUsd = decimalOfNanos(delta.spendNanos);
    await trx
      .insertInto('key_spend')
      .values({
        key_id: keyId,
        requests: delta.requests,
        input_tokens: delta.inputTokens,
        output_tokens: delta.outputTokens,
        spend_usd: spendUsd,
      })
      .onConflict((oc) =>
        oc.column('key_id').doUpdateSet((eb) => ({
          requests: eb('key_spend.requests', '+', delta.requests),
          input_tokens: eb('key_spend.input_tokens', '+', delta.inputTokens),
          output_tokens: eb('key_spend.output_tokens', '+', delta.outputTokens),
          spend_usd: eb('key_spend.spend_usd', '+', spendUsd),
          updated_at: new Date(),
        })),
      )
      .execute();
  }
  return corrected;
}

/**
 * A usage_records row as jsonb_to_recordset reads it (USAGE_COLUMNS). Object.assign, not a spread:
 * on Node 20 an object literal that spreads one object and adds fields costs ~1 µs per added field
 * (this row: ~15 µs, metering's largest cost per call; docs/benchmarks.md).
 */
function toRow(usage: RecordableUsage, costNanos: number): Partial<Record<keyof typeof USAGE_COLUMNS, unknown>> {
  return Object.assign(reportColumns(usage, costNanos), {
    caller_metadata: usage.metadata ?? null, // jsonb: the object itself, not its text
    model: usage.model,
    upstream_model: usage.upstreamModel,
    provider_id: usage.providerId,
    operation: usage.operation,
    client_ip: usage.clientIp,
    swept: usage.swept === true,
    trace_id: traceIdOf(usage.traceparent),
  });
}

/** The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`), or null. */
function traceIdOf(traceparent: string | undefined): string | null {
  return traceparent && /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(traceparent)
    ? traceparent.slice(3, 35)
    : null;
}
