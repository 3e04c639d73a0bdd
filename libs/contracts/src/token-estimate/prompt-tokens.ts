import type { Operation } from '../rpc';
import { chatPromptTokens } from './chat-prompt';
import { messagesPromptTokens } from './messages-prompt';
import { responsesPromptTokens } from './responses-prompt';
import { type PromptTokens, Tally, tokensForChars } from './tally';

/** The prompt sizes of a call body, read by its dialect; see PromptTokens. */
export function promptTokens(op: Operation, body: Record<string, unknown>): PromptTokens {
  if (op === 'chat') return chatPromptTokens(body);
  if (op === 'messages') return messagesPromptTokens(body);
  if (op === 'responses') return responsesPromptTokens(body);
  const input = op === 'completions' ? body.prompt : body.input;
  const t = new Tally();
  t.input(input);
  if (op === 'completions' && typeof body.suffix === 'string') t.json(body.suffix);
  const estimate =
    inputEstimate(input) +
    (op === 'completions' && typeof body.suffix === 'string' ? tokensForChars(body.suffix.length) : 0);
  return { estimate, bound: t.bytes, images: null };
}

/** The estimate alone (the admin API's dry run shows it as the prompt's tokens). */
export const estimatePromptTokens = (op: Operation, body: Record<string, unknown>): number =>
  promptTokens(op, body).estimate;

/** Prompt of /v1/completions or input of /v1/embeddings: a string, strings, or token arrays. */
function inputEstimate(input: unknown): number {
  if (typeof input === 'string') return tokensForChars(input.length);
  if (!Array.isArray(input)) return 0;
  if (input.length > 0 && input.every((x) => typeof x === 'number')) return input.length;
  let n = 0;
  for (const item of input) n += inputEstimate(item);
  return n;
}
