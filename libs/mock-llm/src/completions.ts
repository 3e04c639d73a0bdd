import { nextId, nowSeconds } from './ids';
import { replyTo, type Reply } from './reply';
import { inputTokens, ROUGH_TOKENS, textOf } from './tokens';
import type { CompletionBody, MockOptions, Usage } from './types';
import { choicesOf } from './usage';

function promptText(prompt: unknown): string {
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt) && typeof prompt[prompt.length - 1] === 'string')
    return prompt[prompt.length - 1] as string;
  return textOf(prompt);
}

/** `best_of` completions are generated and billed (at least `n`); the first `n` are returned. */
function answer(body: CompletionBody, opts: MockOptions) {
  const counter = opts.tokens ?? ROUGH_TOKENS;
  const returned = choicesOf(body.n);
  const generated = Math.max(returned, choicesOf(body.best_of));
  const replies: Reply[] = [];
  for (let i = 0; i < generated; i++)
    replies.push(replyTo(promptText(body.prompt), body.model, body.max_tokens, counter, i));
  const promptTokens = inputTokens(body.prompt, counter);
  const completion = replies.reduce((sum, r) => sum + r.completionTokens, 0);
  const usage: Usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completion,
    total_tokens: promptTokens + completion,
  };
  return { replies: replies.slice(0, returned), usage };
}

/** A legacy `/v1/completions` `text_completion` object. */
export function mockCompletion(body: CompletionBody, opts: MockOptions = {}) {
  const { replies, usage } = answer(body, opts);
  return {
    id: opts.id ?? nextId('cmpl'),
    object: 'text_completion' as const,
    created: opts.created ?? nowSeconds(),
    model: body.model,
    choices: replies.map((reply, index) => ({
      text: reply.text,
      index,
      logprobs: null,
      finish_reason: reply.finishReason,
    })),
    usage,
  };
}

export interface CompletionChunk {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: { text: string; index: number; logprobs: null; finish_reason: string | null }[];
  usage?: Usage | null;
}

/** The streamed form of `mockCompletion`, with the usage chunk only when `include_usage` is set. */
export function mockCompletionChunks(body: CompletionBody, opts: MockOptions = {}): CompletionChunk[] {
  const { replies, usage } = answer(body, opts);
  const counter = opts.tokens ?? ROUGH_TOKENS;
  const withUsage = body.stream_options?.include_usage === true;
  const id = opts.id ?? nextId('cmpl');
  const created = opts.created ?? nowSeconds();
  const chunk = (index: number, text: string | null, finish: string | null, chunkUsage?: Usage): CompletionChunk => {
    const c: CompletionChunk = {
      id,
      object: 'text_completion',
      created,
      model: body.model,
      choices: text === null ? [] : [{ text, index, logprobs: null, finish_reason: finish }],
    };
    if (withUsage) c.usage = chunkUsage ?? null;
    return c;
  };
  const chunks: CompletionChunk[] = [];
  replies.forEach((reply, index) => {
    for (const piece of counter.split(reply.text)) chunks.push(chunk(index, piece, null));
    chunks.push(chunk(index, '', reply.finishReason));
  });
  if (withUsage) chunks.push(chunk(0, null, null, usage));
  return chunks;
}
