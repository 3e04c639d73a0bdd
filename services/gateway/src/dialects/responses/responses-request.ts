import type { OpenAiError, StoredResponse } from '@sluice/contracts';
import type { DialectRequest, Parsed as ParsedAs } from '../../pipeline/dialect';
import { callEstimate } from '../../usage/estimate';
import { invalid, openAiUserOf, parseModelBody, wrongType } from '../openai/openai-request';

/**
 * A stored response a call continues (`previous_response_id`), and for a bridged one its conversation, oldest item
 * first.
 */
export interface PreviousResponse {
  stored: StoredResponse;
  items: unknown[];
}

/** A `/v1/responses` body that passed the edge checks. */
export interface ResponsesRequest extends DialectRequest {
  previousId: string | null;
  /** Set once the previous response was found for this key (before authorize). */
  previous?: PreviousResponse;
  /** Whether the response is kept (OpenAI's default: yes), so its id can be read or continued. */
  store: boolean;
}

export type Parsed = ParsedAs<ResponsesRequest>;

/** OpenAI's floor for `max_output_tokens`. */
const MIN_OUTPUT_TOKENS = 16;

/**
 * Refused on every route, because Sluice could not keep its promises with them: `background`
 * responses finish after the call (no usage to bill when it ends), and a `conversation` or an
 * `item_reference` names state upstream that Sluice cannot tie to the key that made it.
 */
const unsupported = (param: string, why: string): { ok: false; error: OpenAiError } => ({
  ok: false,
  error: {
    status: 400,
    type: 'invalid_request_error',
    param,
    code: 'unsupported_parameter',
    message: `Unsupported parameter: '${param}' ${why}`,
  },
});

/**
 * What a body may not name or ask for on any route (see `unsupported`), and the shape of its
 * `input`; also checked on `POST /v1/responses/input_tokens`, whose body goes upstream as well.
 */
export function upstreamStateRefusal(b: Record<string, unknown>): { ok: false; error: OpenAiError } | null {
  const input = b.input;
  if (input !== undefined && input !== null && typeof input !== 'string' && !Array.isArray(input))
    return wrongType('input', 'a string or an array', input);
  if (Array.isArray(input)) {
    for (let i = 0; i < input.length; i++) {
      const item = input[i];
      if (item === null || typeof item !== 'object' || Array.isArray(item))
        return wrongType(`input[${i}]`, 'an object', item);
      if ((item as { type?: unknown }).type === 'item_reference')
        return unsupported(
          `input[${i}]`,
          'is not supported: an item_reference names stored items Sluice cannot tie to your key; send the item itself.',
        );
    }
  }
  if (b.background === true)
    return unsupported(
      'background',
      'is not supported through Sluice: a background response finishes after the call, and Sluice bills a call when it ends.',
    );
  if (b.conversation !== undefined && b.conversation !== null)
    return unsupported(
      'conversation',
      'is not supported through Sluice; continue a conversation with previous_response_id.',
    );
  return null;
}

/** Checks a Responses body as OpenAI does before anything else happens, and reads what the pipeline needs once. */
export function parseResponsesRequest(raw: Buffer | undefined): Parsed {
  const parsed = parseModelBody(raw);
  if (!parsed.ok) return parsed;
  const b = parsed.body;

  const input = b.input;
  if (input === undefined || input === null)
    return invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  for (const flag of ['stream', 'store', 'background'] as const) {
    if (b[flag] !== undefined && b[flag] !== null && typeof b[flag] !== 'boolean')
      return wrongType(flag, 'a boolean', b[flag]);
  }
  const refused = upstreamStateRefusal(b);
  if (refused) return refused;
  const previous = b.previous_response_id;
  if (previous !== undefined && previous !== null) {
    if (typeof previous !== 'string') return wrongType('previous_response_id', 'a string', previous);
    if (previous === '')
      return invalid(
        "Invalid 'previous_response_id': empty string. Expected a string with minimum length 1.",
        'previous_response_id',
        'empty_string',
      );
  }
  const cap = outputCapError(b.max_output_tokens);
  if (cap) return { ok: false, error: cap };
  if (
    b.instructions !== undefined &&
    b.instructions !== null &&
    typeof b.instructions !== 'string' &&
    !Array.isArray(b.instructions)
  )
    return wrongType('instructions', 'a string or an array', b.instructions);
  if (b.tools !== undefined && b.tools !== null && !Array.isArray(b.tools))
    return wrongType('tools', 'an array', b.tools);

  return {
    ok: true,
    request: {
      body: b,
      model: b.model,
      stream: b.stream === true,
      estimate: callEstimate('responses', b),
      user: openAiUserOf(b),
      previousId: typeof previous === 'string' ? previous : null,
      store: b.store !== false,
    },
  };
}

function outputCapError(v: unknown): OpenAiError | null {
  if (v === undefined || v === null) return null;
  const error = (code: string, message: string): OpenAiError => ({
    status: 400,
    type: 'invalid_request_error',
    param: 'max_output_tokens',
    code,
    message,
  });
  if (typeof v !== 'number' || !Number.isInteger(v))
    return error(
      'invalid_type',
      `Invalid type for 'max_output_tokens': expected an integer, but got ${typeof v === 'number' ? 'a decimal number' : `a ${typeof v}`} instead.`,
    );
  if (v < MIN_OUTPUT_TOKENS)
    return error(
      'integer_below_min_value',
      `Invalid 'max_output_tokens': integer below minimum value. Expected a value >= ${MIN_OUTPUT_TOKENS}, but got ${v} instead.`,
    );
  return null;
}
