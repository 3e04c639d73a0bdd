import { MAX_MODEL_NAME_CHARS, type OpenAiError, type Operation } from '@sluice/contracts';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '@sluice/service';
import type { DialectRequest, Parsed as ParsedAs } from '../../pipeline/dialect';
import { callEstimate } from '../../usage/estimate';
import { billingParamsError } from './billing-params';
import { outputParamsError } from './output-params';

/** The operations of OpenAI's classic surface: /v1/chat/completions, /v1/completions, /v1/embeddings. */
export type OpenAiOperation = Extract<Operation, 'chat' | 'completions' | 'embeddings'>;

/** A request body that passed the edge checks, with what the gateway needs from it read once. */
export interface OpenAiRequest extends DialectRequest {
  /** Whether the client itself asked for the usage chunk (the gateway always asks the upstream). */
  includeUsage: boolean;
}

export type Parsed = ParsedAs<OpenAiRequest>;

const REQUIRED: Record<OpenAiOperation, string> = { chat: 'messages', completions: 'prompt', embeddings: 'input' };

/** OpenAI's `user` body field: the caller's end user, kept on the usage record. */
export const openAiUserOf = (body: Record<string, unknown>): DialectRequest['user'] => ({
  value: typeof body.user === 'string' ? body.user : null,
  param: 'user',
});

export const invalid = (
  message: string,
  param: string | null,
  code: string | null,
): { ok: false; error: OpenAiError } => ({
  ok: false,
  error: { status: 400, type: 'invalid_request_error', param, code, message },
});

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);
export const wrongType = (param: string, expected: string, v: unknown) =>
  invalid(`Invalid type for '${param}': expected ${expected}, but got ${typeName(v)} instead.`, param, 'invalid_type');

/** The body as a JSON object, refused in OpenAI's words otherwise. */
export function parseJsonObject(
  raw: Buffer | undefined,
): { ok: true; body: Record<string, unknown> } | { ok: false; error: OpenAiError } {
  // Measured before parsing: the upstream body is re-serialised and the estimator walks it.
  if (raw !== undefined && jsonNestsDeeperThan(raw))
    return invalid(
      `The JSON body of your request nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`,
      null,
      'json_too_deep',
    );
  let body: unknown;
  try {
    body = JSON.parse(raw === undefined ? '' : raw.toString('utf8'));
  } catch {
    return invalid(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The API expects a JSON payload, but what was sent was not valid JSON.)",
      null,
      null,
    );
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return invalid('The request body must be a JSON object.', null, null);
  return { ok: true, body: body as Record<string, unknown> };
}

/** A JSON object body with a non-empty `model` of at most MAX_MODEL_NAME_CHARS, refused in OpenAI's words otherwise. */
export function parseModelBody(
  raw: Buffer | undefined,
): { ok: true; body: Record<string, unknown> & { model: string } } | { ok: false; error: OpenAiError } {
  const parsed = parseJsonObject(raw);
  if (!parsed.ok) return parsed;
  const b = parsed.body;
  if (b.model === undefined) return invalid('You must provide a model parameter.', 'model', null);
  if (typeof b.model !== 'string') return wrongType('model', 'a string', b.model);
  if (b.model === '')
    return invalid("Invalid 'model': empty string. Expected a string with minimum length 1.", 'model', 'empty_string');
  if (b.model.length > MAX_MODEL_NAME_CHARS) {
    return invalid(
      `Invalid 'model': string too long. Expected a string with maximum length ${MAX_MODEL_NAME_CHARS}, but got a string with length ${b.model.length} instead.`,
      'model',
      'string_above_max_length',
    );
  }
  return { ok: true, body: b as Record<string, unknown> & { model: string } };
}

/**
 * Checks a body the way OpenAI does before anything else happens: JSON object, a model, the
 * operation's required field, and the streaming flags. The messages OpenAI uses are kept so
 * clients that match on them keep working.
 */
export function parseOpenAiRequest(op: OpenAiOperation, raw: Buffer | undefined): Parsed {
  const parsed = parseModelBody(raw);
  if (!parsed.ok) return parsed;
  const b = parsed.body;

  const field = REQUIRED[op];
  const value = b[field];
  if (value === undefined || value === null)
    return invalid(`Missing required parameter: '${field}'.`, field, 'missing_required_parameter');
  if (op === 'chat') {
    if (!Array.isArray(value)) return wrongType(field, 'an array', value);
    if (value.length === 0)
      return invalid(
        `Invalid '${field}': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
        field,
        'empty_array',
      );
    for (let i = 0; i < value.length; i++) {
      const m = value[i];
      if (m === null || typeof m !== 'object' || Array.isArray(m)) return wrongType(`${field}[${i}]`, 'an object', m);
      if (typeof (m as { role?: unknown }).role !== 'string')
        return invalid(
          `Missing required parameter: '${field}[${i}].role'.`,
          `${field}[${i}].role`,
          'missing_required_parameter',
        );
    }
  } else if (typeof value !== 'string' && !Array.isArray(value)) {
    return wrongType(field, 'a string or an array', value);
  } else if (Array.isArray(value) && value.length === 0) {
    return invalid(
      `Invalid '${field}': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
      field,
      'empty_array',
    );
  }

  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean')
    return wrongType('stream', 'a boolean', b.stream);
  const stream = op !== 'embeddings' && b.stream === true;
  const options = b.stream_options;
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object' || Array.isArray(options)) return wrongType('stream_options', 'an object', options);
    if (!stream)
      return invalid(
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        'stream_options',
        null,
      );
  }
  const paramsError = outputParamsError(op, b) ?? billingParamsError(op, b);
  if (paramsError) return { ok: false, error: paramsError };
  const includeUsage = stream && (options as { include_usage?: unknown } | null | undefined)?.include_usage === true;
  return {
    ok: true,
    request: { body: b, model: b.model, stream, includeUsage, estimate: callEstimate(op, b), user: openAiUserOf(b) },
  };
}
