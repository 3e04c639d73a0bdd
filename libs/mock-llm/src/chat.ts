import { nextId, nowSeconds } from './ids';
import { lastUserText, replyTo, type Reply } from './reply';
import { chatPromptTokens, ROUGH_TOKENS } from './tokens';
import { toolInputFor, toolResultPrompt, toolToCall } from './tool-use';
import type { ChatBody, MockOptions, Usage } from './types';
import { cachedTokensFor, chatUsage, choicesOf } from './usage';

const FINGERPRINT = 'fp_sluice_mock';

type ToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } };
type Choice = Reply & { toolCall?: ToolCall };

/**
 * One reply per choice (`n`), each generated and billed; the prompt is billed once. A call that
 * forces a tool, or offers tools and says "use the tool", gets a call of it (its arguments billed
 * as output); one whose last message is a tool's result gets a reply quoting that result.
 */
function answer(body: ChatBody, opts: MockOptions) {
  const counter = opts.tokens ?? ROUGH_TOKENS;
  const last = body.messages.at(-1);
  const prompt = last?.role === 'tool' ? toolResultPrompt(last.content) : lastUserText(body.messages);
  const tools = Array.isArray(body.tools) ? (body.tools as { function?: { name?: string } }[]).map((t) => ({ name: t.function?.name })) : [];
  const choice = body.tool_choice as { function?: { name?: string } } | string | undefined;
  const forcedName = typeof choice === 'object' ? choice?.function?.name : undefined;
  const tool = choice === 'none' ? null : toolToCall(tools, choice === 'required' || forcedName !== undefined, forcedName, prompt, last?.role === 'tool');
  const replies: Choice[] = [];
  for (let i = 0; i < choicesOf(body.n); i++) {
    if (tool === null) replies.push(replyTo(prompt, body.model, body.max_completion_tokens ?? body.max_tokens, counter, i));
    else {
      const args = JSON.stringify(toolInputFor(prompt));
      const toolCall: ToolCall = { id: `call_${i}${nextId('t').slice(2)}`, type: 'function', function: { name: tool, arguments: args } };
      replies.push({ text: '', finishReason: 'tool_calls', completionTokens: counter.count(tool + args), reasoningTokens: 0, toolCall });
    }
  }
  const promptTokens = chatPromptTokens(body.messages, body, counter);
  const completion = replies.reduce((sum, r) => sum + r.completionTokens, 0);
  const reasoning = replies.reduce((sum, r) => sum + r.reasoningTokens, 0);
  const usage = chatUsage(promptTokens, completion, cachedTokensFor(promptTokens, body.prompt_cache_key), reasoning);
  return { replies, usage };
}

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
      // A tool call's content is empty (OpenAI sends null; '' keeps the type every caller reads).
      message: { role: 'assistant' as const, content: reply.text, refusal: null, annotations: [], ...(reply.toolCall && { tool_calls: [reply.toolCall] }) },
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
  choices: { index: number; delta: { role?: 'assistant'; content?: string; refusal?: null; tool_calls?: unknown[] }; logprobs: null; finish_reason: string | null }[];
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
    const c: ChatChunk = { id, object: 'chat.completion.chunk', created, model: body.model, system_fingerprint: FINGERPRINT, choices: choice ? [choice] : [] };
    if (withUsage) c.usage = chunkUsage ?? null;
    return c;
  };
  const chunks: ChatChunk[] = [];
  replies.forEach((reply, index) => {
    chunks.push(chunk({ index, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }));
    for (const piece of counter.split(reply.text)) chunks.push(chunk({ index, delta: { content: piece }, logprobs: null, finish_reason: null }));
    const call = reply.toolCall;
    if (call) {
      chunks.push(chunk({ index, delta: { tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }, logprobs: null, finish_reason: null }));
      for (let i = 0; i < call.function.arguments.length; i += 8) {
        chunks.push(chunk({ index, delta: { tool_calls: [{ index: 0, function: { arguments: call.function.arguments.slice(i, i + 8) } }] }, logprobs: null, finish_reason: null }));
      }
    }
    chunks.push(chunk({ index, delta: {}, logprobs: null, finish_reason: reply.finishReason }));
  });
  if (withUsage) chunks.push(chunk(null, usage));
  return chunks;
}
