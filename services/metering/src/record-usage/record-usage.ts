import type { Insertable, Kysely } from 'kysely';
import type { Database, UsageRecordsTable } from '@sluice/db';
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

interface SpendDelta {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  /** Nano-dollars: integers, so the sum is exact (BigInt: a batch's sum is not bounded by one call's). */
  spendNanos: bigint;
}

/**
 * Records a batch of served calls exactly once in one transaction: usage rows are unique by
 * request id, and a key's spend moves only by the rows this transaction inserted, so a batch
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
  const calls = [...unique.values()].sort((a, b) => (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0));
  const costNanos = new Map<string, number>();
  if (calls.length === 0) return { recorded: new Set(), costNanos, corrected: new Set() };
  for (const usage of calls) costNanos.set(usage.requestId, costNanosOfUsage(usage));
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('usage_records')
      .values(calls.map((usage) => toRow(usage, costNanos.get(usage.requestId)!)))
      .onConflict((oc) => oc.column('request_id').doNothing())
      .returning('request_id')
      .execute();
    const recorded = new Set(inserted.map((row) => row.request_id));
    const spend = new Map<string, SpendDelta>();
    const add = (keyId: string, requests: number, inputTokens: number, outputTokens: number, spendNanos: number) => {
      const delta = spend.get(keyId) ?? { requests: 0, inputTokens: 0, outputTokens: 0, spendNanos: 0n };
      delta.requests += requests;
      delta.inputTokens += inputTokens;
      delta.outputTokens += outputTokens;
      delta.spendNanos += BigInt(spendNanos);
      spend.set(keyId, delta);
    };
    for (const requestId of recorded) {
      const usage = unique.get(requestId)!;
      add(usage.keyId, 1, usage.inputTokens, usage.outputTokens, costNanos.get(requestId)!);
    }
    // Real reports not recorded as a new call: a redelivery, or the late report of a swept call.
    const reports = [...laterReports, ...calls.filter((usage) => !usage.swept && !recorded.has(usage.requestId))];
    const corrected = reports.length === 0 ? new Set<string>() : await correctSweeps(trx, reports, add);
    // Keys in a fixed order so two batches touching the same keys cannot deadlock.
    for (const keyId of [...spend.keys()].sort()) {
      const delta = spend.get(keyId)!;
      const spendUsd = decimalOfNanos(delta.spendNanos);
      await trx
        .insertInto('key_spend')
        .values({ key_id: keyId, requests: delta.requests, input_tokens: delta.inputTokens, output_tokens: delta.outputTokens, spend_usd: spendUsd })
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
    return { recorded, costNanos, corrected };
  });
}

function toRow(usage: RecordableUsage, costNanos: number): Insertable<UsageRecordsTable> {
  return {
    ...reportColumns(usage, costNanos),
    model: usage.model,
    upstream_model: usage.upstreamModel,
    provider_id: usage.providerId,
    operation: usage.operation,
    client_ip: usage.clientIp,
    swept: usage.swept === true,
    trace_id: traceIdOf(usage.traceparent),
  };
}

/** The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`), or null. */
function traceIdOf(traceparent: string | undefined): string | null {
  return traceparent && /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(traceparent) ? traceparent.slice(3, 35) : null;
}
