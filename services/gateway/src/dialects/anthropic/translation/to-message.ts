import type { TokenCounts } from '../../../usage/token-counts';

const STOP: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

/** Chat's finish reason as Anthropic's stop reason. */
export const stopReason = (finish: unknown): string =>
  typeof finish === 'string' ? (STOP[finish] ?? 'end_turn') : 'end_turn';

/**
 * The billed tokens as Anthropic's usage: cache reads and writes apart from `input_tokens`. The
 * client sees the very numbers its call is billed with, whoever the upstream was.
 */
export function anthropicUsage(tokens: TokenCounts): Record<string, number> {
  const written = tokens.cacheWriteInputTokens ?? 0;
  return {
    input_tokens: Math.max(0, tokens.inputTokens - tokens.cachedInputTokens - written),
    cache_creation_input_tokens: written,
    cache_read_input_tokens: tokens.cachedInputTokens,
    output_tokens: tokens.outputTokens,
  };
}

/**
 * A tool call's arguments as the object Anthropic's `input` is (a model's malformed JSON comes back as an empty input).
 */
export function toolInput(args: unknown): unknown {
  if (typeof args !== 'string' || args === '') return {};
  try {
    const input = JSON.parse(args);
    return input !== null && typeof input === 'object' && !Array.isArray(input) ? input : {};
  } catch {
    return {};
  }
}

interface ChatCompletion {
  choices?: {
    message?: {
      content?: unknown;
      refusal?: unknown;
      tool_calls?: { id?: unknown; function?: { name?: unknown; arguments?: unknown } }[];
    };
    finish_reason?: unknown;
  }[];
}

/** A chat completion as an Anthropic Message: text, then tool uses; the client's model name; the billed usage. */
export function anthropicMessage(completion: ChatCompletion, id: string, model: string, tokens: TokenCounts) {
  const choice = completion.choices?.[0];
  const content: Record<string, unknown>[] = [];
  const text =
    typeof choice?.message?.content === 'string'
      ? choice.message.content
      : typeof choice?.message?.refusal === 'string'
        ? choice.message.refusal
        : '';
  if (text !== '') content.push({ type: 'text', text });
  for (const call of choice?.message?.tool_calls ?? [])
    content.push({
      type: 'tool_use',
      id: String(call.id),
      name: String(call.function?.name),
      input: toolInput(call.function?.arguments),
    });
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: anthropicUsage(tokens),
  };
}
