import type { Kysely, Selectable } from 'kysely';
import { DomainError, ErrorCodes, usdOfDecimal, type RequestLogQuery, type UsageRecordView } from '@sluice/contracts';
import type { Database, UsageCallsView } from '@sluice/db';

/**
 * Keyset paging on (started_at, request_id), newest first: stable while new calls land. Each call
 * as it finally stands (`usage_calls`): a swept call whose real report came later shows the report.
 */
export async function requestLog(
  db: Kysely<Database>,
  q: RequestLogQuery,
): Promise<{ data: UsageRecordView[]; nextCursor: string | null }> {
  let query = db
    .selectFrom('usage_calls')
    .selectAll()
    .orderBy('started_at', 'desc')
    .orderBy('request_id', 'desc')
    .limit(q.limit + 1);
  if (q.keyId) query = query.where('key_id', '=', q.keyId);
  if (q.model) query = query.where('model', '=', q.model);
  if (q.sessionId) query = query.where('session_id', '=', q.sessionId);
  if (q.status === 'ok') query = query.where('status', '<', 400);
  else if (q.status === 'error') query = query.where('status', '>=', 400);
  else if (q.status) query = query.where('status', '=', Number(q.status));
  if (q.from) query = query.where('started_at', '>=', q.from);
  if (q.to) query = query.where('started_at', '<', q.to);
  if (q.cursor) {
    const [cursorAt, requestId] = decodeCursor(q.cursor);
    const startedAt = new Date(cursorAt);
    query = query.where((eb) =>
      eb.or([
        eb('started_at', '<', startedAt),
        eb.and([eb('started_at', '=', startedAt), eb('request_id', '<', requestId)]),
      ]),
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > q.limit && last ? encodeCursor(new Date(last.started_at).toISOString(), last.request_id) : null;
  return { data: page.map(toView), nextCursor };
}

function toView(r: Selectable<UsageCallsView>): UsageRecordView {
  return {
    requestId: r.request_id,
    clientRequestId: r.client_request_id,
    keyId: r.key_id,
    model: r.model,
    upstreamModel: r.upstream_model,
    providerId: r.provider_id,
    operation: r.operation,
    stream: r.stream,
    status: r.status,
    inputTokens: r.input_tokens,
    cachedInputTokens: r.cached_input_tokens,
    cacheWriteInputTokens: r.cache_write_input_tokens,
    outputTokens: r.output_tokens,
    reasoningTokens: r.reasoning_tokens,
    costUsd: usdOfDecimal(r.cost_usd),
    estimated: r.estimated,
    swept: r.swept,
    sweptCostUsd: r.swept_cost_usd === null ? null : usdOfDecimal(r.swept_cost_usd),
    latencyMs: r.latency_ms,
    ttfbMs: r.ttfb_ms,
    clientIp: r.client_ip,
    user: r.caller_user,
    metadata: r.caller_metadata,
    sessionId: r.session_id,
    cleanedFields: r.cleaned_fields,
    traceId: r.trace_id,
    startedAt: new Date(r.started_at).toISOString(),
    recordedAt: new Date(r.recorded_at).toISOString(),
  };
}

const encodeCursor = (startedAt: string, requestId: string) =>
  Buffer.from(JSON.stringify([startedAt, requestId])).toString('base64url');

function decodeCursor(cursor: string): [string, string] {
  try {
    const [startedAt, requestId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof startedAt === 'string' && typeof requestId === 'string' && !Number.isNaN(Date.parse(startedAt)))
      return [startedAt, requestId];
  } catch {
    // fall through
  }
  throw new DomainError(ErrorCodes.validation, 'cursor is not valid', { param: 'cursor' });
}
