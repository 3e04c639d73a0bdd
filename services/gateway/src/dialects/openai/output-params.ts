import type { OpenAiError, Operation } from '@sluice/contracts';

/** OpenAI's range for `n` (chat and completions) and `best_of` (completions). */
const MAX_CHOICES = 128;
const MAX_BEST_OF = 20;

const invalid = (param: string, code: string, message: string): OpenAiError => ({
  status: 400,
  type: 'invalid_request_error',
  param,
  code,
  message,
});

function integerError(param: string, v: unknown, min: number, max: number | null): OpenAiError | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    const got = typeof v === 'number' ? 'a decimal number' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
    return invalid(param, 'invalid_type', `Invalid type for '${param}': expected an integer, but got ${got} instead.`);
  }
  if (v < min)
    return invalid(
      param,
      'integer_below_min_value',
      `Invalid '${param}': integer below minimum value. Expected a value >= ${min}, but got ${v} instead.`,
    );
  if (max !== null && v > max)
    return invalid(
      param,
      'integer_above_max_value',
      `Invalid '${param}': integer above maximum value. Expected a value <= ${max}, but got ${v} instead.`,
    );
  return null;
}

/**
 * `/v1/completions` caps with `max_tokens` only; OpenAI refuses the chat field there, and so does Sluice, rather than
 * reserve on one cap while the upstream obeys another.
 */
function completionsOnlyError(body: Record<string, unknown>): OpenAiError | null {
  if (body.max_completion_tokens !== undefined && body.max_completion_tokens !== null)
    return invalid(
      'max_completion_tokens',
      'unknown_parameter',
      "Unrecognized request argument supplied: max_completion_tokens. /v1/completions caps its output with 'max_tokens'.",
    );
  return integerError('best_of', body.best_of, 1, MAX_BEST_OF);
}

/**
 * The parameters that size a call's output, checked as OpenAI checks them, because the worst case
 * Sluice reserves is built from them: `n` (and `best_of`) multiply the output cap, so a value
 * OpenAI would refuse must never reach the reservation or the upstream.
 */
export function outputParamsError(op: Operation, body: Record<string, unknown>): OpenAiError | null {
  if (op === 'embeddings') return null;
  const error =
    integerError('n', body.n, 1, MAX_CHOICES) ??
    integerError('max_tokens', body.max_tokens, 1, null) ??
    (op === 'chat'
      ? integerError('max_completion_tokens', body.max_completion_tokens, 1, null)
      : completionsOnlyError(body));
  if (
    error ||
    op !== 'completions' ||
    typeof body.best_of !== 'number' ||
    typeof body.n !== 'number' ||
    body.best_of >= body.n
  )
    return error;
  return invalid(
    'best_of',
    'invalid_value',
    `Invalid 'best_of': must be greater than or equal to 'n' (${body.n}), but got ${body.best_of} instead.`,
  );
}
