import { nextId, nowSeconds } from './ids';
import { lastUserText, pieces, replyTo } from './reply';
import { chatPromptTokens } from './tokens';
import type { ChatBody, MockOptions, Usage } from './types';
import { cachedTokensFor, chatUsage } from './usage';

const FINGERPRINT = 'fp_sluice_mock';

function answer(body: ChatBody) {
  const reply = replyTo(lastUserText(body.messages), body.model, body.max_completion_tokens ?? body.max_tokens);
  const promptTokens = chatPromptTokens(body.messages);
  const usage = chatUsage(promptTokens, reply.completionTokens, cachedTokensFor(promptTokens, body.prompt_cache_key), reply.reasoningTokens);
  return { reply, usage };
}

/** A `chat.completion` object with a deterministic reply to the last user message. */
export function mockChatCompletion(body: ChatBody, opts: MockOptions = {}) {
  const { reply, usage } = answer(body);
  return {
    id: opts.id ?? nextId('chatcmpl'),
    object: 'chat.completion' as const,
    created: opts.created ?? nowSeconds(),
    model: body.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: reply.text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: reply.finishReason,
      },
    ],
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
    usage,
  };
}

export interface ChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: { index: number; delta: { role?: 'assistant'; content?: string; refusal?: null }; logprobs: null; finish_reason: string | null }[];
  usage?: Usage | null;
}

/**
 * The `chat.completion.chunk` objects of the same reply, as OpenAI streams them: the role first,
 * the content in pieces, the finish reason, then, only with `stream_options.include_usage`, a
 * usage chunk with no choices (every other chunk then carries `usage: null`).
 */
export function mockChatChunks(body: ChatBody, opts: MockOptions = {}): ChatChunk[] {
  const { reply, usage } = answer(body);
  const withUsage = body.stream_options?.include_usage === true;
  const id = opts.id ?? nextId('chatcmpl');
  const created = opts.created ?? nowSeconds();
  const chunk = (choice: ChatChunk['choices'][number] | null, chunkUsage?: Usage): ChatChunk => {
    const c: ChatChunk = { id, object: 'chat.completion.chunk', created, model: body.model, system_fingerprint: FINGERPRINT, choices: choice ? [choice] : [] };
    if (withUsage) c.usage = chunkUsage ?? null;
    return c;
  };
  const chunks = [chunk({ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null })];
  for (const piece of pieces(reply.text)) chunks.push(chunk({ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }));
  chunks.push(chunk({ index: 0, delta: {}, logprobs: null, finish_reason: reply.finishReason }));
  if (withUsage) chunks.push(chunk(null, usage));
  return chunks;
}
