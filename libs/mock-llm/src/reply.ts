import { ROUGH_TOKENS, textOf, type TokenCounter } from './tokens';
import type { ChatMessage, FinishReason } from './types';

const WORDS = (
  'sluice gates meter every token that flows through the channel while keys open and close in steady ' +
  'order so budgets hold and nothing spills past the weir before the ledger settles each request'
).split(' ');
const DEFAULT_WORDS = 20;
const MAX_WORDS = 8192;
const ASKED_LENGTH = /reply with (\d{1,5}) (words|numbers)/i;

export interface Reply {
  text: string;
  finishReason: FinishReason;
  completionTokens: number;
  reasoningTokens: number;
}

/**
 * The reply is a pure function of the prompt: it quotes the start of the prompt, then a run of
 * words chosen by a hash of it ("reply with N words" sets the length; "reply with N numbers" makes
 * them numbers, which tokenizers split finely). A token limit cuts it and makes the finish reason
 * `length`, as a real model does. Each choice of `n` starts the run elsewhere.
 */
export function replyTo(
  prompt: string,
  model: string,
  maxTokens: number | null | undefined,
  counter: TokenCounter = ROUGH_TOKENS,
  choice = 0,
): Reply {
  const asked = ASKED_LENGTH.exec(prompt);
  const count = asked ? Math.min(Number(asked[1]), MAX_WORDS) : DEFAULT_WORDS;
  const numbers = asked?.[2].toLowerCase() === 'numbers';
  const seed = fnv1a(prompt) + choice * 13;
  const words: string[] = [];
  for (let i = 0; i < count; i++)
    words.push(numbers ? String(((seed + i * 7919) % 9_000_000) + 1_000_000) : WORDS[(seed + i * 7) % WORDS.length]);
  const excerpt = prompt.replace(/\s+/g, ' ').trim().slice(0, 48);
  let text = `Mock reply to "${excerpt}": ${words.join(' ')}.`;
  let finishReason: FinishReason = 'stop';
  if (typeof maxTokens === 'number' && maxTokens >= 0 && counter.count(text) > maxTokens) {
    text = counter.truncate(text, maxTokens);
    finishReason = 'length';
  }
  const visible = counter.count(text);
  // Reasoning models spend hidden tokens before answering; they are billed as output.
  const reasoningTokens = isReasoningModel(model) ? visible * 2 : 0;
  return { text, finishReason, completionTokens: visible + reasoningTokens, reasoningTokens };
}

export function lastUserText(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') return textOf(messages[i].content);
  }
  return '';
}

const isReasoningModel = (model: string): boolean => /^o\d|reason/i.test(model);

/** Splits text into token-like pieces (a word and the space before it), as a stream delivers them. */
export const pieces = (text: string): string[] => ROUGH_TOKENS.split(text);

export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
