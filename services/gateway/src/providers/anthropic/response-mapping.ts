import type { AnthropicReply, AnthropicUsage } from './anthropic-wire';

const FINISH: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

export const finishReason = (stop: string | null | undefined): string | null =>
  stop ? (FINISH[stop] ?? 'stop') : null;

const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/**
 * Anthropic counts cache reads and writes apart from `input_tokens`; OpenAI's `prompt_tokens`
 * includes cached tokens, so the gateway bills all three as input, the reads at the cached rate.
 */
export function openAiUsage(u: AnthropicUsage | undefined) {
  const cached = n(u?.cache_read_input_tokens);
  const prompt = n(u?.input_tokens) + cached + n(u?.cache_creation_input_tokens);
  const completion = n(u?.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  };
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** An Anthropic message as an OpenAI `chat.completion`: text blocks joined, tool_use blocks as tool_calls. */
export function chatCompletion(reply: AnthropicReply, created: number) {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of reply.content ?? []) {
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block.type === 'tool_use')
      toolCalls.push({
        id: String(block.id),
        type: 'function',
        function: { name: String(block.name), arguments: JSON.stringify(block.input ?? {}) },
      });
  }
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id: reply.id ?? '',
    object: 'chat.completion',
    created,
    model: reply.model ?? '',
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply.stop_reason) ?? 'stop' }],
    usage: openAiUsage(reply.usage),
  };
}

const ERROR_TYPES: Record<string, { type: string; code: string | null }> = {
  invalid_request_error: { type: 'invalid_request_error', code: null },
  authentication_error: { type: 'invalid_request_error', code: 'invalid_api_key' },
  permission_error: { type: 'invalid_request_error', code: null },
  not_found_error: { type: 'invalid_request_error', code: 'model_not_found' },
  request_too_large: { type: 'invalid_request_error', code: 'request_too_large' },
  rate_limit_error: { type: 'requests', code: 'rate_limit_exceeded' },
  api_error: { type: 'server_error', code: null },
  overloaded_error: { type: 'service_unavailable_error', code: 'server_is_overloaded' },
};

/** Anthropic-only statuses as the nearest one OpenAI clients know how to retry. */
export const openAiStatus = (status: number): number => (status === 529 ? 503 : status);

/**
 * An Anthropic error body (`{type: 'error', error: {type, message}}`) as an OpenAI one, for the
 * gateway's upstream error mapping; null when the body is not Anthropic's error shape.
 */
export function openAiErrorBody(
  body: Buffer | string,
): { error: { message: string; type: string; param: null; code: string | null } } | null {
  let json: { error?: { type?: unknown; message?: unknown } };
  try {
    json = JSON.parse(body.toString());
  } catch {
    return null;
  }
  const e = json?.error;
  if (!e || typeof e.message !== 'string') return null;
  const mapped = ERROR_TYPES[typeof e.type === 'string' ? e.type : ''] ?? { type: 'server_error', code: null };
  return { error: { message: e.message, type: mapped.type, param: null, code: mapped.code } };
}
