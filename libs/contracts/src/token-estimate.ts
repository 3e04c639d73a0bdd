import type { Operation } from './rpc';

/**
 * Prompt-token estimates from a call's body: about four characters per token, plus the few
 * tokens OpenAI's chat format spends per message and to prime the reply. Shared so a dry run on
 * the admin API estimates a prompt exactly as the gateway does for authorize.
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
