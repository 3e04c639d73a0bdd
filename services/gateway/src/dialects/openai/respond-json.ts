import type { FastifyReply } from 'fastify';
import type { Logger } from '@sluice/service';
import type { UsageMessage } from '@sluice/contracts';
import { armClientIdle } from '../../edge/client-idle';
import type { CallDeadline } from '../../pipeline/call-deadline';
import { costHeaders } from '../../pipeline/cost-headers';
import { failCall } from '../../pipeline/failed-call';
import { readAnswer } from '../../pipeline/read-answer';
import { reportedTokens, type UpstreamResponse } from '../../providers/upstream';
import { upstreamError } from '../../providers/upstream-errors';
import { settleTokens } from '../../usage/estimate';
import { NOTHING_GENERATED } from '../../usage/generated-output';
import type { CallFacts, FinishCall } from '../../usage/usage-message';
import { generatedOfJson, usageFromJson } from '../../usage/usage-from-json';
import { NOTHING_BILLED } from '../../usage/worst-case';
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
 * `usage` object is parsed out of them. A non-2xx answer is mapped once, in upstreamError. The call
 * is finished (its usage priced) before anything is sent, so the cost header is its usage's cost.
 */
export async function respondJson(
  reply: FastifyReply,
  upstream: UpstreamResponse,
  call: CallFacts,
  body: Record<string, unknown>,
  { maxBytes, clientStallMs, deadline, logger }: JsonAnswerLimits,
  finish: FinishCall,
): Promise<UsageMessage> {
  const read = await readAnswer(upstream, call, { maxBytes, deadline, logger });
  if (!read.ok) return failCall(reply, call, read.error, finish, sendError, read.billed);
  const bytes = read.bytes;
  if (upstream.status >= 200 && upstream.status < 300) {
    const reported = reportedTokens(upstream, () => usageFromJson(bytes));
    const generated =
      call.op === 'embeddings' || (reported !== null && reported.outputTokens > 0)
        ? NOTHING_GENERATED
        : generatedOfJson(bytes);
    const usage = await finish({
      status: upstream.status,
      ...settleTokens(call, body, reported, generated),
      ttfbMs: null,
    });
    reply
      .code(upstream.status)
      .header('content-type', upstream.contentType || 'application/json')
      .header('x-request-id', call.requestId)
      .header('x-sluice-provider', call.route.providerId);
    reply.headers(costHeaders(call, usage.costNanos));
    // Null when the client already left.
    if (reply.raw.socket) armClientIdle(reply.raw.socket, clientStallMs);
    reply.send(bytes);
    return usage;
  }
  const error = upstreamError(upstream.status, bytes);
  if (upstream.status === 401 || upstream.status === 403) {
    logger.error(
      { requestId: call.requestId, providerId: call.route.providerId, upstreamStatus: upstream.status },
      'upstream refused the provider credential',
    );
  }
  const usage = await finish({ status: error.status, ...NOTHING_BILLED, ttfbMs: null });
  sendError(reply, call.requestId, error);
  return usage;
}
