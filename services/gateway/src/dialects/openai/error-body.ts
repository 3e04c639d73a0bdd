import type { OpenAiError } from '@sluice/contracts';
import { CLIENT_ERRORS } from '../../errors/gateway-errors';

/** The one place that writes OpenAI's `{error: {message, type, param, code}}`, with explicit nulls. */
export function errorBody(e: OpenAiError): string {
  const error = { message: e.message, type: e.type, param: e.param ?? null, code: e.code ?? null };
  return JSON.stringify({ error: e.rule ? { ...error, rule: e.rule } : error });
}

/** The body of an answer to a request Node could not read, before any route (or dialect) had it. */
export const clientErrorBody = (status: 400 | 408 | 431): string => errorBody(CLIENT_ERRORS[status]);
