import { countTokens, textOf } from './tokens';
import type { ChatMessage, FinishReason } from './types';

const WORDS = (
  'sluice gates meter every token that flows through the channel while keys open and close in steady ' +
  'order so budgets hold and nothing spills past the weir before the ledger settles each request'
).split(' ');
const DEFAULT_WORDS = 20;
const MAX_WORDS = 8192;
const ASKED_LENGTH = /reply with (\d{1,5}) words/i;

export interface Reply {
  text: string;
  finishReason: FinishReason;
  completionTokens: number;
  reasoningTokens: number;
}

/**
 * The reply is a pure function of the prompt: it quotes the start of the prompt, then a run of
 * words chosen by a hash of it ("reply with N words" sets the length). A token limit cuts it and
 * makes the finish reason `length`, as a real model does.
 */
export function replyTo(prompt: string, model: string, maxTokens: number | null | undefined): Reply {
  const asked = ASKED_LENGTH.exec(prompt);
  const count = asked ? Math.min(Number(asked[1]), MAX_WORDS) : DEFAULT_WORDS;
  const start = fnv1a(prompt) % WORDS.length;
  const words: string[] = [];
  for (let i = 0; i < count; i++) words.push(WORDS[(start + i * 7) % WORDS.length]);
  const excerpt = prompt.replace(/\s+/g, ' ').trim().slice(0, 48);
  let text = `Mock reply to "${excerpt}": ${words.join(' ')}.`;
  let finishReason: FinishReason = 'stop';
  if (typeof maxTokens === 'number' && maxTokens >= 0 && countTokens(text) > maxTokens) {
    text = text.slice(0, maxTokens * 4);
    finishReason = 'length';
  }
  const visible = countTokens(text);
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
export function pieces(text: string): string[] {
  return text.length === 0 ? [] : text.split(/(?= )/);
}

export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
