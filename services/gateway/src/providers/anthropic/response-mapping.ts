import { NO_TOKENS, type TokenCounts } from '../../usage/token-counts';
import { tokensFromAnthropicUsage } from './anthropic-tokens';
import type { AnthropicReply } from './anthropic-wire';

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

/**
 * The billed tokens as OpenAI's usage, what the client sees: `prompt_tokens` holds Anthropic's
 * input, cache reads and cache writes (OpenAI's convention), `cached_tokens` the reads. The writes
 * have no field here, so the call is billed from the tokens, never from this object.
 */
export function openAiUsage(t: TokenCounts) {
  return {
    prompt_tokens: t.inputTokens,
    completion_tokens: t.outputTokens,
    total_tokens: t.inputTokens + t.outputTokens,
    prompt_tokens_details: { cached_tokens: t.cachedInputTokens },
  };
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** An Anthropic message as an OpenAI `chat.completion`: text blocks joined, tool_use blocks as tool_calls. */
export function chatCompletion(reply: AnthropicReply, created: number, tokens = tokensFromAnthropicUsage(reply.usage)) {
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
    usage: openAiUsage(tokens ?? NO_TOKENS),
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
