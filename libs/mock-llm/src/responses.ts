import { nextId, nowSeconds } from './ids';
import { replyTo } from './reply';
import { mockToolCall } from './tool-call';
import { ROUGH_TOKENS, textOf, type TokenCounter } from './tokens';
import { cachedTokensFor } from './usage';

/** The slice of a Responses request the mock reads. */
export interface ResponsesBody {
  model: string;
  input?: unknown;
  instructions?: unknown;
  tools?: unknown;
  tool_choice?: unknown;
  text?: unknown;
  max_output_tokens?: number | null;
  previous_response_id?: string | null;
  prompt_cache_key?: string;
  store?: boolean;
  stream?: boolean;
  metadata?: unknown;
}

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface MockResponse {
  response: Record<string, unknown> & { id: string; output: Record<string, unknown>[]; usage: ResponsesUsage };
  /** This turn's input as items with ids (what `input_items` lists and a later turn continues from). */
  input: Record<string, unknown>[];
}

// Like the chat format: a few tokens per item and to prime the reply.
const PER_ITEM = 4;
const PER_REPLY = 3;

/** The input as items: a string is one user message. Items get ids, as OpenAI stores them. */
export function inputItems(input: unknown): Record<string, unknown>[] {
  const items =
    typeof input === 'string'
      ? [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }]
      : Array.isArray(input)
        ? input
        : [];
  return items.map((item: Record<string, unknown>) => ({
    ...item,
    type: item.type ?? 'message',
    id: typeof item.id === 'string' ? item.id : nextId(item.type === 'function_call_output' ? 'fco' : 'msg'),
  }));
}

/** What an item puts into the prompt: its text, a tool call's name and arguments, a tool result. */
function itemText(item: Record<string, unknown>): string {
  if (item.type === 'function_call') return `${String(item.name ?? '')}${String(item.arguments ?? '')}`;
  if (item.type === 'function_call_output')
    return typeof item.output === 'string' ? item.output : JSON.stringify(item.output ?? '');
  if (item.content !== undefined) return textOf(item.content);
  return JSON.stringify(item);
}

function promptTokens(items: Record<string, unknown>[], body: ResponsesBody, counter: TokenCounter): number {
  let tokens = PER_REPLY + (typeof body.instructions === 'string' ? PER_ITEM + counter.count(body.instructions) : 0);
  for (const item of items) tokens += PER_ITEM + counter.count(itemText(item));
  for (const value of [body.tools, body.text])
    if (value !== undefined && value !== null) tokens += counter.count(JSON.stringify(value));
  return tokens;
}

/** The last item, when it is a user message: its text (a tool call is made only right after one). */
function lastUserText(items: Record<string, unknown>[]): { text: string; lastIsUser: boolean } {
  for (let i = items.length - 1; i >= 0; i--) {
    if (items[i].role === 'user') return { text: textOf(items[i].content), lastIsUser: i === items.length - 1 };
  }
  return { text: '', lastIsUser: false };
}

const isReasoningModel = (model: string): boolean => /^o\d|reason/i.test(model);

/**
 * A deterministic Responses answer to `body`, after the `previous` conversation items (a stored
 * response's input and output, oldest first), which are part of the prompt and billed: the same
 * text the chat mock gives the last user message, or a function call (see mockToolCall).
 * Reasoning models bill hidden reasoning tokens; a `prompt_cache_key` on a long prompt bills cached tokens.
 */
export function mockResponse(
  body: ResponsesBody,
  opts: { previous?: Record<string, unknown>[]; id?: string; created?: number; tokens?: TokenCounter } = {},
): MockResponse {
  const counter = opts.tokens ?? ROUGH_TOKENS;
  const input = inputItems(body.input);
  const all = [...(opts.previous ?? []), ...input];
  const prompt = lastUserText(all);
  const call = mockToolCall(body.tools, body.tool_choice, prompt.lastIsUser ? prompt.text : null);
  let output: Record<string, unknown>;
  let outputTokens: number;
  let reasoningTokens = 0;
  let incomplete = false;
  if (call) {
    output = {
      id: nextId('fc'),
      type: 'function_call',
      status: 'completed',
      call_id: nextId('call'),
      name: call.name,
      arguments: call.arguments,
    };
    outputTokens = counter.count(call.name + call.arguments);
  } else {
    const reply = replyTo(prompt.text, body.model, body.max_output_tokens, counter);
    output = {
      id: nextId('msg'),
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: reply.text, annotations: [], logprobs: [] }],
    };
    outputTokens = reply.completionTokens;
    reasoningTokens = reply.reasoningTokens;
    incomplete = reply.finishReason === 'length';
  }
  if (isReasoningModel(body.model) && call) {
    reasoningTokens = outputTokens * 2;
    outputTokens += reasoningTokens;
  }
  const inputTokens = promptTokens(all, body, counter);
  const usage: ResponsesUsage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: cachedTokensFor(inputTokens, body.prompt_cache_key) },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: reasoningTokens },
    total_tokens: inputTokens + outputTokens,
  };
  const response = {
    id: opts.id ?? nextId('resp'),
    object: 'response',
    created_at: opts.created ?? nowSeconds(),
    status: incomplete ? 'incomplete' : 'completed',
    background: false,
    error: null,
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: body.model,
    output: [output],
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: body.store !== false,
    temperature: 1,
    text: body.text ?? { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_p: 1,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: body.metadata ?? {},
  };
  return { response, input };
}

/**
 * The same answer as OpenAI streams it, one `event:`/`data:` frame per event with `sequence_number`
 * rising from 0: created, in_progress, for each output item its `added`, content part or argument
 * deltas and `done`, then `response.completed` (or `.incomplete`) with the usage. `content` is
 * the generated text each frame carries, to bill a stream that stops early.
 */
export function mockResponseFrames(
  mock: { response: Record<string, unknown> & { output: Record<string, unknown>[] } },
  counter: TokenCounter = ROUGH_TOKENS,
): { frames: string[]; content: string[] } {
  const frames: string[] = [];
  const content: string[] = [];
  const emit = (event: Record<string, unknown>, text = '') => {
    frames.push(`event: ${event.type}\ndata: ${JSON.stringify({ ...event, sequence_number: frames.length })}\n\n`);
    content.push(text);
  };
  const { response } = mock;
  const pending = { ...response, status: 'in_progress', output: [], usage: null, incomplete_details: null };
  emit({ type: 'response.created', response: pending });
  emit({ type: 'response.in_progress', response: pending });
  response.output.forEach((item, output_index) => {
    if (item.type === 'function_call') {
      emit({
        type: 'response.output_item.added',
        output_index,
        item: { ...item, status: 'in_progress', arguments: '' },
      });
      const args = String(item.arguments);
      for (const delta of counter.split(args))
        emit({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index, delta }, delta);
      emit({ type: 'response.function_call_arguments.done', item_id: item.id, output_index, arguments: args });
    } else {
      const text = String((item.content as { text: string }[])[0].text);
      emit({ type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress', content: [] } });
      const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
      emit({ type: 'response.content_part.added', item_id: item.id, output_index, content_index: 0, part });
      for (const delta of counter.split(text))
        emit(
          { type: 'response.output_text.delta', item_id: item.id, output_index, content_index: 0, delta, logprobs: [] },
          delta,
        );
      emit({ type: 'response.output_text.done', item_id: item.id, output_index, content_index: 0, text, logprobs: [] });
      emit({
        type: 'response.content_part.done',
        item_id: item.id,
        output_index,
        content_index: 0,
        part: { ...part, text },
      });
    }
    emit({ type: 'response.output_item.done', output_index, item });
  });
  emit({ type: response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', response });
  return { frames, content };
}

/** `POST /v1/responses/input_tokens`: what the same body would bill as input. */
export function mockInputTokens(
  body: ResponsesBody,
  previous: Record<string, unknown>[] = [],
  counter: TokenCounter = ROUGH_TOKENS,
): number {
  return promptTokens([...previous, ...inputItems(body.input)], body, counter);
}
