import type { Insertable } from 'kysely';
import type { UsageCorrectionsTable } from '@sluice/db';
import { decimalOfNanos } from '@sluice/contracts';
import type { RecordableUsage } from './clean-usage';

/**
 * What a call's report says, stored alike on its usage record and on the correction of a swept one
 * (each adds the caller's metadata as its statement takes it).
 */
export function reportColumns(
  usage: RecordableUsage,
  costNanos: number,
): Omit<Insertable<UsageCorrectionsTable>, 'caller_metadata'> {
  return {
    request_id: usage.requestId,
    key_id: usage.keyId,
    stream: usage.stream,
    status: usage.status,
    input_tokens: usage.inputTokens,
    cached_input_tokens: usage.cachedInputTokens,
    cache_write_input_tokens: usage.cacheWriteInputTokens ?? 0,
    output_tokens: usage.outputTokens,
    reasoning_tokens: usage.reasoningTokens,
    cost_usd: decimalOfNanos(costNanos),
    estimated: usage.estimated,
    latency_ms: usage.latencyMs,
    ttfb_ms: usage.ttfbMs,
    started_at: usage.startedAt,
    client_request_id: usage.clientRequestId ?? null,
    caller_user: usage.user ?? null,
    cleaned_fields: usage.cleanedFields ?? [],
    session_id: usage.sessionId ?? null,
  };
}
