import type { CallReply } from './exchange';
import type { OpenAiError, UsageMessage } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import { armClientIdle } from '../edge/client-idle';
import type { UpstreamResponse } from '../providers/upstream';
import { upstreamError } from '../providers/upstream-errors';
import type { CallFacts, FinishCall } from '../usage/usage-message';
import { NOTHING_BILLED, type Billed } from '../usage/worst-case';
import type { CallDeadline } from './call-deadline';
import { costHeaders } from './cost-headers';
import type { ErrorShape } from './dialect';
import { failCall } from './failed-call';
import { readAnswer } from './read-answer';

/**
 * What a dialect makes of an answer the upstream served (2xx): the call billed and the client's
 * body — the upstream's bytes, sent on untouched with its status and content type, or a body the
 * dialect built from them (a translation), sent as a 200 in JSON — and any work that must be done
 * beside settling, before the last bytes (keeping the response); or why the client gets an error.
 */
export type ServedAnswer =
  | { ok: true; billed: Billed; body: Buffer | string; alongside?: () => Promise<unknown> }
  | { ok: false; error: OpenAiError; billed: Billed };

/**
 * How a call is answered in JSON: its limits, and its dialect's error shape, request-id headers and reading of the
 * answer.
 */
export interface JsonAnswering {
  limits: {
    maxUpstreamBodyBytes: number;
    /** How long the client may leave the answer unread before it is cut (the answer can be 64 MB). */
    clientStallMs: number;
  };
  deadline: CallDeadline;
  logger: Logger;
  sendError: ErrorShape['sendError'];
  /** The headers that carry the request id in this dialect. */
  idHeaders: readonly string[];
  /**
   * The error the client gets for a non-2xx answer; null: the upstream's own error, already in the
   * dialect's shape, passed on as it came. Unset: upstreamError, the credential refusal logged.
   */
  refusal?(status: number, bytes: Buffer): OpenAiError | null;
  served(bytes: Buffer): ServedAnswer;
}

/**
 * A non-streamed answer, in every dialect: read (bounded), a refusal mapped or the served answer
 * billed, then sent. The call is finished (its usage priced) before anything is sent, so the cost
 * header is its usage's cost.
 */
export async function answerJson(
  reply: CallReply,
  upstream: UpstreamResponse,
  call: CallFacts,
  finish: FinishCall,
  answering: JsonAnswering,
): Promise<UsageMessage> {
  const { limits, deadline, logger } = answering;
  const read = await readAnswer(upstream, call, { maxBytes: limits.maxUpstreamBodyBytes, deadline, logger });
  if (!read.ok) return failCall(reply, call, read.error, finish, answering.sendError, read.billed);
  const bytes = read.bytes;
  const status = upstream.status;
  if (status < 200 || status >= 300) {
    const error = answering.refusal ? answering.refusal(status, bytes) : refusal(call, status, bytes, logger);
    if (error) return failCall(reply, call, error, finish, answering.sendError);
    const usage = await finish({ status, ...NOTHING_BILLED, ttfbMs: null });
    idHeaders(reply.code(status).header('content-type', 'application/json'), answering, call.requestId).send(bytes);
    return usage;
  }
  const answer = answering.served(bytes);
  if (!answer.ok) return failCall(reply, call, answer.error, finish, answering.sendError, answer.billed);
  const built = typeof answer.body === 'string';
  const [usage] = await Promise.all([
    finish({ status: built ? 200 : status, ...answer.billed, ttfbMs: null }),
    answer.alongside?.(),
  ]);
  const type = built ? 'application/json' : upstream.contentType || 'application/json';
  idHeaders(reply.code(built ? 200 : status).header('content-type', type), answering, call.requestId);
  reply.header('x-sluice-provider', call.route.providerId);
  reply.headers(costHeaders(call, usage.costNanos));
  // Null when the client already left.
  if (reply.raw.socket) armClientIdle(reply.raw.socket, limits.clientStallMs);
  reply.send(answer.body);
  return usage;
}

function idHeaders(reply: CallReply, answering: JsonAnswering, requestId: string): CallReply {
  for (const name of answering.idHeaders) reply.header(name, requestId);
  return reply;
}

function refusal(call: CallFacts, status: number, bytes: Buffer, logger: Logger): OpenAiError {
  if (status === 401 || status === 403)
    logger.error(
      { requestId: call.requestId, providerId: call.route.providerId, upstreamStatus: status },
      'upstream refused the provider credential',
    );
  return upstreamError(status, bytes);
}
