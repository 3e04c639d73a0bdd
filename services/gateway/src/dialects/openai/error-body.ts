import type { OpenAiError } from '@sluice/contracts';

/** The one place that writes OpenAI's `{error: {message, type, param, code}}`, with explicit nulls. */
export function errorBody(e: OpenAiError): string {
  const error = { message: e.message, type: e.type, param: e.param ?? null, code: e.code ?? null };
  return JSON.stringify({ error: e.rule ? { ...error, rule: e.rule } : error });
}
