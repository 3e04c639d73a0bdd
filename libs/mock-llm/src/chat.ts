import { nextId, nowSeconds } from './ids';
import { lastUserText, replyTo, type Reply } from './reply';
import { chatPromptTokens, ROUGH_TOKENS } from './tokens';
import type { ChatBody, MockOptions, Usage } from './types';
import { mockToolCall, type MockToolCall } from './tool-call';
import { toolResultPrompt } from './tool-use';
import { cachedTokensFor, chatUsage, choicesOf } from './usage';

const FINGERPRINT = 'fp_sluice_mock';

/**
 * One reply per choice (`n`), each generated and billed; the prompt is billed once. A tool call
 * when the request forces one or the last user message asks for one (see mockToolCall); a reply
 * quoting the result when the last message is a tool's result.
 */
function answer(body: ChatBody, opts: MockOptions) {
  const counter = opts.tokens ?? ROUGH_TOKENS;
  const last = body.messages.at(-1);
  const prompt = last?.role === 'tool' ? toolResultPrompt(last.content) : lastUserText(body.messages);
  const call = mockToolCall(body.tools, body.tool_choice, last?.role === 'user' ? prompt : null);
  const replies: (Reply & { call?: MockToolCall })[] = [];
  for (let i = 0; i < choicesOf(body.n); i++) {
    if (call)
      replies.push({
        text: '',
        finishReason: 'tool_calls',
        completionTokens: counter.count(call.name + call.arguments),
        reasoningTokens: 0,
        call,
      });
    else replies.push(replyTo(prompt, body.model, body.max_completion_tokens ?? body.max_tokens, counter, i));
  }
  const promptTokens = chatPromptTokens(body.messages, body, counter);
  const completion = replies.reduce((sum, r) => sum + r.completionTokens, 0);
  const reasoning = replies.reduce((sum, r) => sum + r.reasoningTokens, 0);
  const usage = chatUsage(promptTokens, completion, cachedTokensFor(promptTokens, body.prompt_cache_key), reasoning);
  return { replies, usage };
}

const toolCallsOf = (call: MockToolCall, index: number) => [
  { id: `call_mock${index}`, type: 'function' as const, function: { name: call.name, arguments: call.arguments } },
];

/** A `chat.completion` object with a deterministic reply to the last user message. */
export function mockChatCompletion(body: ChatBody, opts: MockOptions = {}) {
  const { replies, usage } = answer(body, opts);
  return {
    id: opts.id ?? nextId('chatcmpl'),
    object: 'chat.completion' as const,
    created: opts.created ?? nowSeconds(),
    model: body.model,
    choices: replies.map((reply, index) => ({
      index,
      message: reply.call
        ? {
            role: 'assistant' as const,
            content: null,
            refusal: null,
            annotations: [],
            tool_calls: toolCallsOf(reply.call, index),
          }
        : { role: 'assistant' as const, content: reply.text, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: reply.finishReason,
    })),
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
  choices: {
    index: number;
    delta: { role?: 'assistant'; content?: string | null; refusal?: null; tool_calls?: unknown[] };
    logprobs: null;
    finish_reason: string | null;
  }[];
  usage?: Usage | null;
}

/**
 * The `chat.completion.chunk` objects of the same reply, as OpenAI streams them: per choice the role
 * first, the content in pieces (one token each with real tokens), the finish reason; then, only
 * with `stream_options.include_usage`, a usage chunk with no choices (every other chunk then
 * carries `usage: null`).
 */
export function mockChatChunks(body: ChatBody, opts: MockOptions = {}): ChatChunk[] {
  const { replies, usage } = answer(body, opts);
  const counter = opts.tokens ?? ROUGH_TOKENS;
  const withUsage = body.stream_options?.include_usage === true;
  const id = opts.id ?? nextId('chatcmpl');
  const created = opts.created ?? nowSeconds();
  const chunk = (choice: ChatChunk['choices'][number] | null, chunkUsage?: Usage): ChatChunk => {
    const c: ChatChunk = {
      id,
      object: 'chat.completion.chunk',
      created,
      model: body.model,
      system_fingerprint: FINGERPRINT,
      choices: choice ? [choice] : [],
    };
    if (withUsage) c.usage = chunkUsage ?? null;
    return c;
  };
  const chunks: ChatChunk[] = [];
  replies.forEach((reply, index) => {
    if (reply.call) {
      const [call] = toolCallsOf(reply.call, index);
      chunks.push(
        chunk({
          index,
          delta: {
            role: 'assistant',
            content: null,
            tool_calls: [{ index: 0, ...call, function: { name: call.function.name, arguments: '' } }],
          },
          logprobs: null,
          finish_reason: null,
        }),
      );
      for (const piece of counter.split(call.function.arguments))
        chunks.push(
          chunk({
            index,
            delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] },
            logprobs: null,
            finish_reason: null,
          }),
        );
      chunks.push(chunk({ index, delta: {}, logprobs: null, finish_reason: reply.finishReason }));
      return;
    }
    chunks.push(
      chunk({ index, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }),
    );
    for (const piece of counter.split(reply.text))
      chunks.push(chunk({ index, delta: { content: piece }, logprobs: null, finish_reason: null }));
    chunks.push(chunk({ index, delta: {}, logprobs: null, finish_reason: reply.finishReason }));
  });
  if (withUsage) chunks.push(chunk(null, usage));
  return chunks;
}
