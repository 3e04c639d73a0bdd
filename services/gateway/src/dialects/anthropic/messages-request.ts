import type { CallRequest } from '../../pipeline/exchange';
import { MAX_MODEL_NAME_CHARS, type OpenAiError } from '@sluice/contracts';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '@sluice/service';
import type { DialectRequest, Parsed } from '../../pipeline/dialect';
import { callEstimate } from '../../usage/estimate';

/**
 * A Messages request that passed the edge checks: what the pipeline needs, and what a passthrough forwards as it came.
 */
export interface MessagesRequest extends DialectRequest {
  /** The body's bytes as the client sent them: a passthrough forwards these, only its model changed. */
  raw: Buffer;
  /** `anthropic-version` and `anthropic-beta` as the client sent them, forwarded to Anthropic unchanged. */
  version: string | undefined;
  beta: string | undefined;
  /** The client asked for the beta surface (`?beta=true`, as Claude Code does). */
  betaQuery: boolean;
}

/** `metadata.user_id`: the caller's end user, kept on the usage record. */
const userOf = (body: Record<string, unknown>): DialectRequest['user'] => {
  const id = (body.metadata as { user_id?: unknown } | null | undefined)?.user_id;
  return { value: typeof id === 'string' ? id : null, param: 'metadata.user_id' };
};

export const invalidMessages = (message: string, param: string | null = null): OpenAiError => ({
  status: 400,
  type: 'invalid_request_error',
  code: null,
  param,
  message,
});
const invalid = (message: string, param: string | null = null): { ok: false; error: OpenAiError } => ({
  ok: false,
  error: invalidMessages(message, param),
});

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const headerOf = (req: CallRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : undefined;
};

/**
 * Checks a Messages body the way Anthropic does before anything else happens, in its words
 * (`<field>: <problem>`): a JSON object, a model, `max_tokens` (not for count_tokens), messages
 * with a role and content, and the streaming flag. Everything else is Anthropic's to judge
 * natively, or the translation's when the route's provider speaks another dialect.
 */
export function parseMessagesRequest(
  raw: Buffer | undefined,
  req: CallRequest,
  countOnly = false,
): Parsed<MessagesRequest> {
  // Measured before parsing: the estimator and the translation walk the body.
  if (raw !== undefined && jsonNestsDeeperThan(raw))
    return invalid(
      `There was an issue with the request body: it nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`,
    );
  let body: unknown;
  try {
    body = JSON.parse(raw === undefined ? '' : raw.toString('utf8'));
  } catch {
    return invalid('There was an issue with the request body: the body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return invalid('The request body must be a JSON object.');
  const b = body as Record<string, unknown>;
  if (b.model === undefined) return invalid('model: Field required', 'model');
  if (typeof b.model !== 'string' || b.model === '')
    return invalid('model: Input should be a non-empty string', 'model');
  if (b.model.length > MAX_MODEL_NAME_CHARS)
    return invalid(`model: String should have at most ${MAX_MODEL_NAME_CHARS} characters`, 'model');
  if (!countOnly) {
    if (b.max_tokens === undefined) return invalid('max_tokens: Field required', 'max_tokens');
    if (typeof b.max_tokens !== 'number' || !Number.isInteger(b.max_tokens))
      return invalid('max_tokens: Input should be a valid integer', 'max_tokens');
    if (b.max_tokens < 1) return invalid('max_tokens: Input should be greater than or equal to 1', 'max_tokens');
  }
  if (b.messages === undefined) return invalid('messages: Field required', 'messages');
  if (!Array.isArray(b.messages))
    return invalid(`messages: Input should be a valid list, not ${kind(b.messages)}`, 'messages');
  for (let i = 0; i < b.messages.length; i++) {
    const m = b.messages[i] as { role?: unknown; content?: unknown } | null;
    if (m === null || typeof m !== 'object' || Array.isArray(m))
      return invalid(`messages.${i}: Input should be a valid dictionary`, `messages.${i}`);
    if (typeof m.role !== 'string') return invalid(`messages.${i}.role: Field required`, `messages.${i}.role`);
    if (typeof m.content !== 'string' && !Array.isArray(m.content))
      return invalid(
        `messages.${i}.content: Input should be a valid string or a list of content blocks`,
        `messages.${i}.content`,
      );
  }
  if (b.system !== undefined && b.system !== null && typeof b.system !== 'string' && !Array.isArray(b.system))
    return invalid('system: Input should be a valid string or a list of text blocks', 'system');
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean')
    return invalid('stream: Input should be a valid boolean', 'stream');
  const query = req.url.indexOf('?');
  return {
    ok: true,
    request: {
      body: b,
      raw: raw!,
      model: b.model,
      stream: !countOnly && b.stream === true,
      estimate: callEstimate('messages', b),
      user: userOf(b),
      version: headerOf(req, 'anthropic-version'),
      beta: headerOf(req, 'anthropic-beta'),
      betaQuery: query >= 0 && new URLSearchParams(req.url.slice(query + 1)).get('beta') === 'true',
    },
  };
}
