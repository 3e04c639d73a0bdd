import { nextId, nowSeconds } from './ids';
import { pieces, replyTo } from './reply';
import { inputTokens, textOf } from './tokens';
import type { CompletionBody, MockOptions, Usage } from './types';

function promptText(prompt: unknown): string {
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt) && typeof prompt[prompt.length - 1] === 'string') return prompt[prompt.length - 1] as string;
  return textOf(prompt);
}

function answer(body: CompletionBody) {
  const reply = replyTo(promptText(body.prompt), body.model, body.max_tokens);
  const promptTokens = inputTokens(body.prompt);
  const usage: Usage = { prompt_tokens: promptTokens, completion_tokens: reply.completionTokens, total_tokens: promptTokens + reply.completionTokens };
  return { reply, usage };
}

/** A legacy `/v1/completions` `text_completion` object. */
export function mockCompletion(body: CompletionBody, opts: MockOptions = {}) {
  const { reply, usage } = answer(body);
  return {
    id: opts.id ?? nextId('cmpl'),
    object: 'text_completion' as const,
    created: opts.created ?? nowSeconds(),
    model: body.model,
    choices: [{ text: reply.text, index: 0, logprobs: null, finish_reason: reply.finishReason }],
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
  const { reply, usage } = answer(body);
  const withUsage = body.stream_options?.include_usage === true;
  const id = opts.id ?? nextId('cmpl');
  const created = opts.created ?? nowSeconds();
  const chunk = (text: string | null, finish: string | null, chunkUsage?: Usage): CompletionChunk => {
    const c: CompletionChunk = { id, object: 'text_completion', created, model: body.model, choices: text === null ? [] : [{ text, index: 0, logprobs: null, finish_reason: finish }] };
    if (withUsage) c.usage = chunkUsage ?? null;
    return c;
  };
  const chunks = pieces(reply.text).map((p) => chunk(p, null));
  chunks.push(chunk('', reply.finishReason));
  if (withUsage) chunks.push(chunk(null, null, usage));
  return chunks;
}
