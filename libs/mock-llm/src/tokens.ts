import type { ChatMessage } from './types';

/** The usual rule of thumb for English text: about four characters per token. */
export const countTokens = (text: string): number => Math.ceil(text.length / 4);

/** Text of a message content: a string, or the `text` of each part of an array of parts. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (typeof part === 'string') text += part;
    else if (part && typeof (part as { text?: unknown }).text === 'string') text += (part as { text: string }).text;
  }
  return text;
}

// OpenAI's chat format costs a few tokens per message and a few to prime the reply.
const PER_MESSAGE = 4;
const PER_REPLY = 3;

export function chatPromptTokens(messages: readonly ChatMessage[]): number {
  let tokens = PER_REPLY;
  for (const m of messages) {
    tokens += PER_MESSAGE + countTokens(textOf(m.content));
    if (m.tool_calls !== undefined) tokens += countTokens(JSON.stringify(m.tool_calls));
  }
  return tokens;
}

/** Prompt of /v1/completions or input of /v1/embeddings: a string, strings, or token arrays. */
export function inputTokens(input: unknown): number {
  if (typeof input === 'string') return countTokens(input);
  if (!Array.isArray(input)) return 0;
  if (input.every((x) => typeof x === 'number')) return input.length;
  let tokens = 0;
  for (const item of input) tokens += inputTokens(item);
  return tokens;
}
