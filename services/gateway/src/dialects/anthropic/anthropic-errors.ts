import type { CallReply } from '../../pipeline/exchange';
import type { OpenAiError, UsageMessage } from '@sluice/contracts';
import { shouldNotRetry } from '../../errors/gateway-errors';
import { failCall } from '../../pipeline/failed-call';
import type { JsonAnswering } from '../../pipeline/json-answer';
import type { CallFacts, FinishCall } from '../../usage/usage-message';
import { NOTHING_BILLED, type Billed } from '../../usage/worst-case';

/** Anthropic's error type for each status (its SDKs map these to typed errors). */
const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'timeout_error',
  409: 'conflict_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

export const anthropicErrorType = (status: number): string =>
  TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');

/** The one place that writes Anthropic's `{type: "error", error: {type, message}, request_id}`. */
export function anthropicErrorBody(error: OpenAiError, requestId: string): string {
  return JSON.stringify({
    type: 'error',
    error: { type: anthropicErrorType(error.status), message: error.message },
    request_id: requestId,
  });
}

/**
 * Refusals a retry cannot change: every 4xx but a rate limit's 429 and the 408/409 the SDKs retry
 * on purpose, and what the gateway already marks so. Claude Code retries even a 401 for minutes
 * unless told not to (`x-should-retry: false`, which its SDK reads before anything else); a budget
 * refusal is a 429 that no wait fixes before its reset.
 */
export const anthropicShouldNotRetry = (e: OpenAiError): boolean =>
  shouldNotRetry(e) ||
  (e.status >= 400 &&
    e.status < 500 &&
    e.status !== 408 &&
    e.status !== 409 &&
    (e.status !== 429 || e.code === 'insufficient_quota'));

/** How a Messages answer carries an error and the request id (Anthropic's SDKs read `request-id`). */
export const ANTHROPIC_ANSWERS: Pick<JsonAnswering, 'sendError' | 'idHeaders'> = {
  sendError: sendAnthropicError,
  idHeaders: ['request-id', 'x-request-id'],
};

export function sendAnthropicError(reply: CallReply, requestId: string, error: OpenAiError): void {
  reply
    .code(error.status)
    .header('content-type', 'application/json')
    .header('request-id', requestId)
    .header('x-request-id', requestId);
  if (anthropicShouldNotRetry(error)) reply.header('x-should-retry', 'false');
  reply.send(anthropicErrorBody(error, requestId));
}

/**
 * An authorized call that ends in an error: finished at what the upstream bills for it (nothing unless told), then
 * refused in Anthropic's shape.
 */
export const refuseCall = (
  reply: CallReply,
  call: CallFacts,
  error: OpenAiError,
  finish: FinishCall,
  billed: Billed = NOTHING_BILLED,
): Promise<UsageMessage> => failCall(reply, call, error, finish, sendAnthropicError, billed);
