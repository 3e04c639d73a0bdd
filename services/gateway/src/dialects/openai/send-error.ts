import type { CallReply } from '../../pipeline/exchange';
import type { OpenAiError } from '@sluice/contracts';
import { shouldNotRetry } from '../../errors/gateway-errors';
import type { JsonAnswering } from '../../pipeline/json-answer';
import { errorBody } from './error-body';

// Error objects are mostly constants (GatewayErrors); serialise each one once.
const bodies = new WeakMap<OpenAiError, string>();

export function sendError(reply: CallReply, requestId: string, error: OpenAiError): void {
  let body = bodies.get(error);
  if (body === undefined) {
    body = errorBody(error);
    bodies.set(error, body);
  }
  reply.code(error.status).header('content-type', 'application/json').header('x-request-id', requestId);
  if (shouldNotRetry(error)) reply.header('x-should-retry', 'false');
  reply.send(body);
}

/** How an OpenAI-shaped answer (chat, completions, embeddings, Responses) carries an error and the request id. */
export const OPENAI_ANSWERS: Pick<JsonAnswering, 'sendError' | 'idHeaders'> = {
  sendError,
  idHeaders: ['x-request-id'],
};
