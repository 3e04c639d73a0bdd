import type { FastifyReply } from 'fastify';
import type { Logger } from '@sluice/service';
import type { UpstreamResponse } from '../../providers/upstream';
import { upstreamError } from '../../providers/upstream-errors';
import { settleTokens } from '../../usage/estimate';
import { NO_TOKENS, tokensFromUsage } from '../../usage/token-counts';
import type { UsageMessage } from '@sluice/contracts';
import type { CallFacts, FinishCall } from '../../usage/usage-message';
import { NOTHING_GENERATED } from '../../usage/generated-output';
import { generatedOfJson, usageFromJson } from '../../usage/usage-from-json';
import { GatewayErrors } from '../../errors/gateway-errors';
import { costHeaders } from '../../pipeline/cost-headers';
import { sendError } from './send-error';

/**
 * A non-streamed answer: the upstream's bytes are read (bounded) and sent on unchanged; only the
 * `usage` object is parsed out of them. A non-2xx answer is mapped once, in upstreamError. The call
 * is finished (its usage priced) before anything is sent, so the cost header is its usage's cost.
 */
export async function respondJson(
  reply: FastifyReply,
  upstream: UpstreamResponse,
  call: CallFacts,
  body: Record<string, unknown>,
  maxBytes: number,
  logger: Logger,
  finish: FinishCall,
): Promise<UsageMessage> {
  let bytes: Buffer;
  try {
    bytes = await readAll(upstream, maxBytes);
  } catch {
    const usage = await finish({ status: 502, tokens: NO_TOKENS, estimated: false, ttfbMs: null });
    sendError(reply, call.requestId, GatewayErrors.upstreamBroken);
    return usage;
  }
  if (upstream.status >= 200 && upstream.status < 300) {
    const reported = tokensFromUsage(usageFromJson(bytes));
    const generated = call.op === 'embeddings' || (reported !== null && reported.outputTokens > 0) ? NOTHING_GENERATED : generatedOfJson(bytes);
    const usage = await finish({ status: upstream.status, ...settleTokens(call, body, reported, generated), ttfbMs: null });
    reply
      .code(upstream.status)
      .header('content-type', upstream.contentType || 'application/json')
      .header('x-request-id', call.requestId)
      .header('x-sluice-provider', call.route.providerId);
    reply.headers(costHeaders(call, usage.costNanos));
    reply.send(bytes);
    return usage;
  }
  const error = upstreamError(upstream.status, bytes);
  if (upstream.status === 401 || upstream.status === 403) {
    logger.error({ requestId: call.requestId, providerId: call.route.providerId, upstreamStatus: upstream.status }, 'upstream refused the provider credential');
  }
  const usage = await finish({ status: error.status, tokens: NO_TOKENS, estimated: false, ttfbMs: null });
  sendError(reply, call.requestId, error);
  return usage;
}

/** The whole body of an upstream answer, at most `maxBytes` (else it is aborted and this throws). */
export async function readAll(upstream: UpstreamResponse, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of upstream.body) {
    size += chunk.length;
    if (size > maxBytes) {
      upstream.abort();
      throw new Error('upstream response too large');
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}
