import type { FastifyReply } from 'fastify';
import type { Logger } from '@sluice/service';
import type { UpstreamResponse } from '../providers/upstream';
import { upstreamError } from '../providers/upstream-errors';
import { settleTokens } from '../usage/estimate';
import { NO_TOKENS, tokensFromUsage } from '../usage/token-counts';
import type { CallFacts, CallResult } from '../usage/usage-message';
import { generatedCharsOfJson, usageFromJson } from '../usage/usage-from-json';
import { answerTimedOut, type CallDeadline } from './call-deadline';
import { armClientIdle } from './client-idle';
import { GatewayErrors } from './openai-errors';
import { costHeaders } from './cost-headers';
import { sendError } from './send-error';

export interface JsonAnswerLimits {
  maxBytes: number;
  /** How long the client may leave the answer unread before it is cut (the answer can be 64 MB). */
  clientStallMs: number;
  deadline?: CallDeadline;
  logger: Logger;
}

/**
 * A non-streamed answer: the upstream's bytes are read (bounded) and sent on unchanged; only the
 * `usage` object is parsed out of them. A non-2xx answer is mapped once, in upstreamError.
 */
export async function respondJson(
  reply: FastifyReply,
  upstream: UpstreamResponse,
  call: CallFacts,
  body: Record<string, unknown>,
  { maxBytes, clientStallMs, deadline, logger }: JsonAnswerLimits,
): Promise<Omit<CallResult, 'latencyMs'>> {
  let bytes: Buffer;
  try {
    bytes = await readAll(upstream, maxBytes);
  } catch {
    if (deadline?.passed) return answerTimedOut(reply, call, body, deadline);
    sendError(reply, call.requestId, GatewayErrors.upstreamBroken);
    return { status: 502, tokens: NO_TOKENS, estimated: false, ttfbMs: null };
  }
  if (upstream.status >= 200 && upstream.status < 300) {
    const reported = tokensFromUsage(usageFromJson(bytes));
    const generated = call.op === 'embeddings' || (reported !== null && reported.outputTokens > 0) ? 0 : generatedCharsOfJson(bytes);
    const settled = settleTokens(call.op, body, reported, generated);
    reply
      .code(upstream.status)
      .header('content-type', upstream.contentType || 'application/json')
      .header('x-request-id', call.requestId)
      .header('x-sluice-provider', call.route.providerId);
    // Same formula and rounding as metering's record; a route without a price (older policy) has no header.
    reply.headers(costHeaders(call, settled.tokens));
    // Null when the client already left.
    if (reply.raw.socket) armClientIdle(reply.raw.socket, clientStallMs);
    reply.send(bytes);
    return { status: upstream.status, ...settled, ttfbMs: null };
  }
  const error = upstreamError(upstream.status, bytes);
  if (upstream.status === 401 || upstream.status === 403) {
    logger.error({ requestId: call.requestId, providerId: call.route.providerId, upstreamStatus: upstream.status }, 'upstream refused the provider credential');
  }
  sendError(reply, call.requestId, error);
  return { status: error.status, tokens: NO_TOKENS, estimated: false, ttfbMs: null };
}

async function readAll(upstream: UpstreamResponse, maxBytes: number): Promise<Buffer> {
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
