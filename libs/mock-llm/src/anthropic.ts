import { nextId } from './ids';
import { pieces, replyTo } from './reply';
import { countTokens, textOf } from './tokens';

/** The slice of an Anthropic Messages request the mock reads. */
export interface AnthropicBody {
  model: string;
  max_tokens: number;
  system?: unknown;
  messages: { role: string; content: unknown }[];
  tools?: { name: string }[];
  tool_choice?: { type?: string; name?: string };
  stream?: boolean;
}

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

// Anthropic counts a few tokens of framing per message, like OpenAI's chat format.
const PER_MESSAGE = 3;

/** Input tokens of a Messages request: system text and each message's text (tool inputs and results included). */
export function anthropicInputTokens(body: AnthropicBody): number {
  let tokens = countTokens(textOf(body.system ?? ''));
  for (const m of body.messages) {
    tokens += PER_MESSAGE;
    if (!Array.isArray(m.content)) tokens += countTokens(textOf(m.content));
    else for (const block of m.content as Record<string, unknown>[]) tokens += countTokens(typeof block.text === 'string' ? block.text : block.type === 'text' ? '' : JSON.stringify(block));
  }
  return tokens;
}

function lastUserText(body: AnthropicBody): string {
  for (let i = body.messages.length - 1; i >= 0; i--) {
    const m = body.messages[i];
    if (m.role !== 'user') continue;
    const text = textOf(m.content);
    if (text !== '') return text;
  }
  return '';
}

/**
 * A deterministic Messages reply: the same text the mock's chat completion gives the same last
 * user message, or, when the request forces a tool (`tool_choice` any/tool), one tool_use block.
 */
export function mockAnthropicMessage(body: AnthropicBody, id = nextId('msg')) {
  const forced = body.tools?.length && (body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool');
  const prompt = lastUserText(body);
  const usage: AnthropicUsage = { input_tokens: anthropicInputTokens(body), output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  if (forced) {
    const name = body.tool_choice?.name ?? body.tools![0].name;
    const input = { query: prompt.slice(0, 48) };
    usage.output_tokens = countTokens(name + JSON.stringify(input));
    return { id, type: 'message', role: 'assistant', model: body.model, content: [{ type: 'tool_use', id: `toolu_${id}`, name, input }], stop_reason: 'tool_use', stop_sequence: null, usage };
  }
  const reply = replyTo(prompt, body.model, body.max_tokens);
  usage.output_tokens = reply.completionTokens;
  const stop = reply.finishReason === 'length' ? 'max_tokens' : 'end_turn';
  return { id, type: 'message', role: 'assistant', model: body.model, content: [{ type: 'text', text: reply.text }], stop_reason: stop, stop_sequence: null, usage };
}

const frame = (data: Record<string, unknown>): string => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

/** The same reply as Anthropic streams it: one SSE frame per event, with the text each frame carries. */
export function mockAnthropicFrames(body: AnthropicBody): { frames: string[]; content: string[]; usage: AnthropicUsage } {
  const message = mockAnthropicMessage(body);
  const { content: blocks, usage, stop_reason, ...rest } = message;
  const frames = [frame({ type: 'message_start', message: { ...rest, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } })];
  const content = [''];
  const add = (data: Record<string, unknown>, text = '') => (frames.push(frame(data)), content.push(text));
  const block = blocks[0] as { type: string; text?: string; input?: unknown };
  if (block.type === 'text') {
    add({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    add({ type: 'ping' });
    for (const piece of pieces(block.text!)) add({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } }, piece);
  } else {
    add({ type: 'content_block_start', index: 0, content_block: { ...block, input: {} } });
    const json = JSON.stringify(block.input);
    for (let i = 0; i < json.length; i += 8) add({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: json.slice(i, i + 8) } }, json.slice(i, i + 8));
  }
  add({ type: 'content_block_stop', index: 0 });
  add({ type: 'message_delta', delta: { stop_reason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  add({ type: 'message_stop' });
  return { frames, content, usage };
}
