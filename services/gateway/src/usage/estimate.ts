import type { Operation } from '@sluice/contracts';
import type { TokenCounts } from './token-counts';

/**
 * Token estimates for when an upstream reports no usage: about four characters per token, plus
 * the few tokens OpenAI's chat format spends per message and to prime the reply. The estimate
 * errs on neither side on purpose; usage messages carry `estimated: true` so it stays visible.
 */
export const tokensForChars = (chars: number): number => Math.ceil(chars / 4);

const PER_MESSAGE = 4;
const PER_REPLY = 3;

function textLength(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const part of content) {
    if (typeof part === 'string') n += part.length;
    else if (part && typeof (part as { text?: unknown }).text === 'string') n += (part as { text: string }).text.length;
  }
  return n;
}

function inputTokens(input: unknown): number {
  if (typeof input === 'string') return tokensForChars(input.length);
  if (!Array.isArray(input)) return 0;
  if (input.length > 0 && input.every((x) => typeof x === 'number')) return input.length;
  let n = 0;
  for (const item of input) n += inputTokens(item);
  return n;
}

export function estimatePromptTokens(op: Operation, body: Record<string, unknown>): number {
  if (op === 'completions') return inputTokens(body.prompt);
  if (op === 'embeddings') return inputTokens(body.input);
  const messages = Array.isArray(body.messages) ? body.messages : [];
  let tokens = PER_REPLY;
  for (const m of messages as { content?: unknown; tool_calls?: unknown }[]) {
    tokens += PER_MESSAGE + tokensForChars(textLength(m?.content));
    if (m?.tool_calls !== undefined) tokens += tokensForChars(JSON.stringify(m.tool_calls).length);
  }
  return tokens;
}

/** An estimate for a call whose upstream said nothing about usage. */
export function estimateTokens(op: Operation, body: Record<string, unknown>, generatedChars: number): TokenCounts {
  return { inputTokens: estimatePromptTokens(op, body), cachedInputTokens: 0, outputTokens: tokensForChars(generatedChars), reasoningTokens: 0 };
}

/**
 * The usage to bill: the upstream's when it reported any, else the estimate. An upstream that
 * reports no output for a reply that produced content is not believed: content is never free.
 */
export function settleTokens(
  op: Operation,
  body: Record<string, unknown>,
  reported: TokenCounts | null,
  generatedChars: number,
): { tokens: TokenCounts; estimated: boolean } {
  if (reported && (reported.outputTokens > 0 || generatedChars === 0)) return { tokens: reported, estimated: false };
  const estimate = estimateTokens(op, body, generatedChars);
  if (!reported) return { tokens: estimate, estimated: true };
  return { tokens: { ...reported, outputTokens: estimate.outputTokens }, estimated: true };
}

/** The caller's cap on output tokens (`max_completion_tokens`, else `max_tokens`); null when it set none. */
export function maxOutputTokensOf(body: Record<string, unknown>): number | null {
  for (const field of ['max_completion_tokens', 'max_tokens']) {
    const value = body[field];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.ceil(value);
  }
  return null;
}
