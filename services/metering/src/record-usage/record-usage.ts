import type { Kysely } from 'kysely';
import type { Database } from '@sluice/db';
import { costOf, type UsageMessage } from '@sluice/contracts';
import { priceAt } from '../pricing/price-lookup';

export interface RecordResult {
  recorded: boolean;
  costUsd: number;
}

/**
 * Records one served call exactly once: the usage row is unique by request id, and the key's
 * spend moves only in the transaction that inserted it. A redelivered message is a no-op.
 */
export async function recordUsage(db: Kysely<Database>, usage: UsageMessage): Promise<RecordResult> {
  const price = await priceAt(db, usage.model, usage.startedAt);
  const costUsd = price ? costOf(usage, price) : 0;
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('usage_records')
      .values({
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
      })
      .onConflict((oc) => oc.column('request_id').doNothing())
      .returning('request_id')
      .executeTakeFirst();
    if (!inserted) return { recorded: false, costUsd };
    await trx
      .insertInto('key_spend')
      .values({ key_id: usage.keyId, requests: 1, input_tokens: usage.inputTokens, output_tokens: usage.outputTokens, spend_usd: costUsd.toFixed(10) })
      .onConflict((oc) =>
        oc.column('key_id').doUpdateSet((eb) => ({
          requests: eb('key_spend.requests', '+', 1),
          input_tokens: eb('key_spend.input_tokens', '+', usage.inputTokens),
          output_tokens: eb('key_spend.output_tokens', '+', usage.outputTokens),
          spend_usd: eb('key_spend.spend_usd', '+', costUsd.toFixed(10)),
          updated_at: new Date(),
        })),
      )
      .execute();
    return { recorded: true, costUsd };
  });
}
