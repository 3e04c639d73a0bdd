import type { ChatMessage } from './types';

/** The usual rule of thumb for English text: about four characters per token. */
export const countTokens = (text: string): number => Math.ceil(text.length / 4);

/**
 * How the mock counts and splits tokens. By default the rule of thumb (four characters a token,
 * streamed a word at a time); `realTokens()` counts with OpenAI's o200k tokenizer and streams
 * exactly one token per chunk, as a real provider does.
 */
export interface TokenCounter {
  count(text: string): number;
  /** The pieces a stream delivers the text in. */
  split(text: string): string[];
  /** The first `max` tokens of the text. */
  truncate(text: string, max: number): string;
}

export const ROUGH_TOKENS: TokenCounter = {
  count: countTokens,
  split: (text) => (text.length === 0 ? [] : text.split(/(?= )/)),
  truncate: (text, max) => text.slice(0, max * 4),
};

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

/** What a chat body bills besides its messages: definitions the provider renders into the prompt. */
export interface PromptDefinitions {
  tools?: unknown;
  functions?: unknown;
  response_format?: unknown;
}

export function chatPromptTokens(
  messages: readonly ChatMessage[],
  definitions: PromptDefinitions = {},
  counter: TokenCounter = ROUGH_TOKENS,
): number {
  let tokens = PER_REPLY;
  for (const m of messages) {
    tokens += PER_MESSAGE + counter.count(textOf(m.content));
    if (m.tool_calls !== undefined) tokens += counter.count(JSON.stringify(m.tool_calls));
  }
  for (const value of [definitions.tools, definitions.functions, definitions.response_format]) {
    if (value !== undefined && value !== null) tokens += counter.count(JSON.stringify(value));
  }
  return tokens;
}

/** Prompt of /v1/completions or input of /v1/embeddings: a string, strings, or token arrays. */
export function inputTokens(input: unknown, counter: TokenCounter = ROUGH_TOKENS): number {
  if (typeof input === 'string') return counter.count(input);
  if (!Array.isArray(input)) return 0;
  if (input.every((x) => typeof x === 'number')) return input.length;
  let tokens = 0;
  for (const item of input) tokens += inputTokens(item, counter);
  return tokens;
}
