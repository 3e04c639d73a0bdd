import type { Insertable, Kysely } from 'kysely';
import type { Database, UsageRecordsTable } from '@sluice/db';
import { costOf } from '@sluice/contracts';
import type { PriceHistory } from '../pricing/price-history';
import type { RecordableUsage } from './clean-usage';

export interface BatchResult {
  /** Request ids this call inserted; the others were already recorded (a redelivery). */
  recorded: Set<string>;
  /** Each request id's cost, priced when the call started. */
  costUsd: Map<string, number>;
}

interface SpendDelta {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  /** In units of 1e-10 USD, the precision of a usage row's cost, so the sum is exact. */
  spendUnits: bigint;
}

/**
 * Records a batch of served calls exactly once in one transaction: usage rows are unique by
 * request id, and a key's spend moves only by the rows this transaction inserted, so a batch
 * replayed in whole or in part (or holding one call twice) adds nothing twice.
 */
export async function recordUsageBatch(db: Kysely<Database>, prices: PriceHistory, batch: readonly RecordableUsage[]): Promise<BatchResult> {
  const unique = new Map<string, RecordableUsage>();
  for (const usage of batch) if (!unique.has(usage.requestId)) unique.set(usage.requestId, usage);
  // Rows in request id order so two overlapping batches wait on each other instead of deadlocking.
  const calls = [...unique.values()].sort((a, b) => (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0));
  const costUsd = new Map<string, number>();
  if (calls.length === 0) return { recorded: new Set(), costUsd };
  await prices.prepare(calls);
  for (const usage of calls) {
    const price = prices.priceAt(usage.model, usage.startedAt);
    costUsd.set(usage.requestId, price ? costOf(usage, price) : 0);
  }
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('usage_records')
      .values(calls.map((usage) => toRow(usage, costUsd.get(usage.requestId)!)))
      .onConflict((oc) => oc.column('request_id').doNothing())
      .returning('request_id')
      .execute();
    const recorded = new Set(inserted.map((row) => row.request_id));
    const spend = new Map<string, SpendDelta>();
    for (const requestId of recorded) {
      const usage = unique.get(requestId)!;
      const delta = spend.get(usage.keyId) ?? { requests: 0, inputTokens: 0, outputTokens: 0, spendUnits: 0n };
      delta.requests += 1;
      delta.inputTokens += usage.inputTokens;
      delta.outputTokens += usage.outputTokens;
      delta.spendUnits += BigInt(costUsd.get(requestId)!.toFixed(10).replace('.', ''));
      spend.set(usage.keyId, delta);
    }
    // Keys in a fixed order so two batches touching the same keys cannot deadlock.
    for (const keyId of [...spend.keys()].sort()) {
      const delta = spend.get(keyId)!;
      const spendUsd = fromUnits(delta.spendUnits);
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
    return { recorded, costUsd };
  });
}

function toRow(usage: RecordableUsage, costUsd: number): Insertable<UsageRecordsTable> {
  return {
    request_id: usage.requestId,
    key_id: usage.keyId,
    model: usage.model,
    upstream_model: usage.upstreamModel,
    provider_id: usage.providerId,
    operation: usage.operation,
    stream: usage.stream,
    status: usage.status,
    input_tokens: usage.inputTokens,
    cached_input_tokens: usage.cachedInputTokens,
    output_tokens: usage.outputTokens,
    reasoning_tokens: usage.reasoningTokens,
    cost_usd: costUsd.toFixed(10),
    estimated: usage.estimated,
    latency_ms: usage.latencyMs,
    ttfb_ms: usage.ttfbMs,
    client_ip: usage.clientIp,
    started_at: usage.startedAt,
    client_request_id: usage.clientRequestId ?? null,
    caller_user: usage.user ?? null,
    caller_metadata: usage.metadata ? JSON.stringify(usage.metadata) : null,
    cleaned_fields: usage.cleanedFields ?? [],
    trace_id: traceIdOf(usage.traceparent),
  };
}

/** The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`), or null. */
function traceIdOf(traceparent: string | undefined): string | null {
  return traceparent && /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(traceparent) ? traceparent.slice(3, 35) : null;
}

function fromUnits(units: bigint): string {
  const digits = units.toString().padStart(11, '0');
  return `${digits.slice(0, -10)}.${digits.slice(-10)}`;
}
