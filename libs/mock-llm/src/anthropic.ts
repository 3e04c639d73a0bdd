import { nextId } from './ids';
import { fnv1a, pieces, replyTo } from './reply';
import { countTokens, textOf } from './tokens';
import { toolInputFor, toolResultPrompt, toolToCall } from './tool-use';

/** The slice of an Anthropic Messages request the mock reads. */
export interface AnthropicBody {
  model: string;
  max_tokens: number;
  system?: unknown;
  messages: { role: string; content: unknown }[];
  tools?: { name: string; cache_control?: unknown }[];
  tool_choice?: { type?: string; name?: string };
  thinking?: { type?: string; budget_tokens?: number; display?: string };
  stream?: boolean;
}

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  /** The writes by the lifetime their breakpoint asked for (`ttl`, "5m" unless "1h"), as Anthropic splits them. */
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

type Block = Record<string, unknown>;

// Anthropic counts a few tokens of framing per message, like OpenAI's chat format.
const PER_MESSAGE = 3;

const tokensOfBlock = (block: Block): number =>
  countTokens(typeof block.text === 'string' ? block.text : block.type === 'text' ? '' : JSON.stringify(block));

/**
 * The prompt as Anthropic caches it — tools, then system, then messages — in segments with their
 * tokens, a key naming everything up to them, and whether a `cache_control` breakpoint ends them.
 */
interface Segment {
  tokens: number;
  key: number;
  /** The breakpoint's cache lifetime when a `cache_control` ends the segment. */
  breakpoint: '5m' | '1h' | null;
}

const breakpointOf = (cacheControl: unknown): Segment['breakpoint'] =>
  cacheControl === undefined ? null : (cacheControl as { ttl?: unknown } | null)?.ttl === '1h' ? '1h' : '5m';

function segmentsOf(body: AnthropicBody): Segment[] {
  const segments: Segment[] = [];
  let key = fnv1a(body.model);
  const add = (tokens: number, text: string, cacheControl?: unknown) => {
    key = fnv1a(`${key}:${text}`);
    segments.push({ tokens, key, breakpoint: breakpointOf(cacheControl) });
  };
  for (const tool of body.tools ?? [])
    add(countTokens(JSON.stringify(tool)), JSON.stringify(tool), tool?.cache_control);
  if (typeof body.system === 'string') add(countTokens(body.system), body.system);
  else if (Array.isArray(body.system))
    for (const b of body.system as Block[]) add(countTokens(textOf([b])), JSON.stringify(b), b?.cache_control);
  for (const m of body.messages) {
    add(PER_MESSAGE, m.role);
    if (!Array.isArray(m.content)) add(countTokens(textOf(m.content)), textOf(m.content));
    else for (const b of m.content as Block[]) add(tokensOfBlock(b), JSON.stringify(b), b?.cache_control);
  }
  return segments;
}

/** Input tokens of a Messages request, cached or not: system text, tool definitions, and each message's blocks. */
export function anthropicInputTokens(body: AnthropicBody): number {
  return segmentsOf(body).reduce((sum, s) => sum + s.tokens, 0);
}

/**
 * The mock's prompt cache, as Anthropic's behaves (no minimum length): the prompt up to a request's
 * last `cache_control` breakpoint is written the first time (`cache_creation_input_tokens`), and
 * read by a later request that shares a prefix up to one of its breakpoints (`cache_read_input_tokens`).
 * The tokens a breakpoint writes (those after the one before it) are written for its `ttl`.
 */
export class PromptCache {
  readonly #written = new Set<number>();

  usage(body: AnthropicBody): { read: number; written: number; writtenFor1h: number; total: number } {
    let total = 0;
    let read = 0;
    const breakpoints: { key: number; end: number; hour: boolean }[] = [];
    for (const s of segmentsOf(body)) {
      total += s.tokens;
      if (!s.breakpoint) continue;
      breakpoints.push({ key: s.key, end: total, hour: s.breakpoint === '1h' });
      if (this.#written.has(s.key)) read = total;
    }
    let written = 0;
    let writtenFor1h = 0;
    let from = read;
    for (const b of breakpoints) {
      this.#written.add(b.key);
      if (b.end <= from) continue;
      written += b.end - from;
      if (b.hour) writtenFor1h += b.end - from;
      from = b.end;
    }
    return { read, written, writtenFor1h, total };
  }
}

/**
 * Signatures the mock gave thinking blocks, with the thinking each one covers: a block sent back altered is refused, as
 * Anthropic refuses it.
 */
export class ThinkingSignatures {
  readonly #issued = new Map<string, string>();

  sign(thinking: string, prompt: string): string {
    // Base64 with + / = in it, as real signatures have: a gateway that rewrites JSON escapes shows.
    const signature = `EqQBCgIYAhIM${Buffer.from(`${fnv1a(prompt)}:${fnv1a(thinking)}:${thinking.length}`).toString('base64')}+/sig==`;
    this.#issued.set(signature, thinking);
    return signature;
  }

  /**
   * The first thinking block in the conversation whose signature the mock did not give for its thinking; null when all
   * are intact.
   */
  tampered(body: AnthropicBody): string | null {
    for (let i = 0; i < body.messages.length; i++) {
      const content = body.messages[i].content;
      if (!Array.isArray(content)) continue;
      for (let j = 0; j < content.length; j++) {
        const b = content[j] as Block;
        if (b?.type !== 'thinking') continue;
        if (this.#issued.get(String(b.signature)) !== b.thinking)
          return `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`;
      }
    }
    return null;
  }
}

export interface AnthropicMockState {
  cache?: PromptCache;
  signatures?: ThinkingSignatures;
}

function lastUserPrompt(body: AnthropicBody): { prompt: string; afterToolResult: boolean } {
  for (let i = body.messages.length - 1; i >= 0; i--) {
    const m = body.messages[i];
    if (m.role !== 'user') continue;
    const result = Array.isArray(m.content) ? (m.content as Block[]).find((b) => b?.type === 'tool_result') : undefined;
    if (result) return { prompt: toolResultPrompt(result.content), afterToolResult: true };
    const text = textOf(m.content);
    if (text !== '') return { prompt: text, afterToolResult: false };
  }
  return { prompt: '', afterToolResult: false };
}

/**
 * A deterministic Messages reply. With thinking on (`enabled` or `adaptive`), a thinking block
 * first, signed, its tokens billed as output even when `display: "omitted"` leaves its text out;
 * then, when the request forces a tool or offers tools and says "use the tool", one tool_use block
 * (after a tool's result, a text reply quoting it); else the text the mock's chat completion gives
 * the same last user message. Cache tokens as `PromptCache` counts them.
 */
export function mockAnthropicMessage(body: AnthropicBody, state: AnthropicMockState = {}, id = nextId('msg')) {
  const { prompt, afterToolResult } = lastUserPrompt(body);
  const cache = state.cache?.usage(body) ?? { read: 0, written: 0, writtenFor1h: 0, total: anthropicInputTokens(body) };
  const usage: AnthropicUsage = {
    input_tokens: cache.total - cache.read - cache.written,
    output_tokens: 0,
    cache_read_input_tokens: cache.read,
    cache_creation_input_tokens: cache.written,
    cache_creation: {
      ephemeral_5m_input_tokens: cache.written - cache.writtenFor1h,
      ephemeral_1h_input_tokens: cache.writtenFor1h,
    },
  };
  const content: Block[] = [];
  const thinkingType = body.thinking?.type;
  if (thinkingType === 'enabled' || thinkingType === 'adaptive') {
    const thought = `Thinking about "${prompt.replace(/\s+/g, ' ').trim().slice(0, 48)}" before answering.`;
    const shown = body.thinking?.display === 'omitted' ? '' : thought;
    usage.output_tokens += countTokens(thought);
    content.push({
      type: 'thinking',
      thinking: shown,
      signature: (state.signatures ?? new ThinkingSignatures()).sign(shown, prompt),
    });
  }
  const forced = body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool';
  const tool =
    body.tool_choice?.type === 'none'
      ? null
      : toolToCall(body.tools ?? [], forced, body.tool_choice?.name, prompt, afterToolResult);
  if (tool !== null) {
    const input = toolInputFor(prompt);
    usage.output_tokens += countTokens(tool + JSON.stringify(input));
    content.push({ type: 'tool_use', id: `toolu_${id.replace(/[^A-Za-z0-9]/g, '')}`, name: tool, input });
    return {
      id,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content,
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage,
    };
  }
  const reply = replyTo(prompt, body.model, Math.max(0, body.max_tokens - usage.output_tokens));
  usage.output_tokens += reply.completionTokens;
  content.push({ type: 'text', text: reply.text });
  const stop = reply.finishReason === 'length' ? 'max_tokens' : 'end_turn';
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage,
  };
}

const frame = (data: Record<string, unknown>): string => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * The same reply as Anthropic streams it, every event type: message_start (input and cache usage),
 * per block content_block_start, its deltas (thinking_delta then signature_delta, text_delta,
 * input_json_delta) and content_block_stop, a ping, message_delta (stop reason, cumulative output
 * usage), message_stop. One SSE frame per event, with the generated text each frame carries.
 */
export function mockAnthropicFrames(
  body: AnthropicBody,
  state: AnthropicMockState = {},
): { frames: string[]; content: string[]; usage: AnthropicUsage } {
  const message = mockAnthropicMessage(body, state);
  const { content: blocks, usage, stop_reason, ...rest } = message;
  const frames = [
    frame({
      type: 'message_start',
      message: { ...rest, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
    }),
  ];
  const content = [''];
  const add = (data: Record<string, unknown>, text = '') => {
    frames.push(frame(data));
    content.push(text);
  };
  blocks.forEach((block, index) => {
    if (block.type === 'thinking') {
      add({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      for (const piece of pieces(String(block.thinking)))
        add({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } }, piece);
      add({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } });
    } else if (block.type === 'text') {
      add({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      if (index === 0) add({ type: 'ping' });
      for (const piece of pieces(String(block.text)))
        add({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } }, piece);
    } else {
      add({ type: 'content_block_start', index, content_block: { ...block, input: {} } });
      const json = JSON.stringify(block.input);
      add({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } });
      for (let i = 0; i < json.length; i += 8)
        add(
          {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: json.slice(i, i + 8) },
          },
          json.slice(i, i + 8),
        );
    }
    add({ type: 'content_block_stop', index });
  });
  add({
    type: 'message_delta',
    delta: { stop_reason, stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  add({ type: 'message_stop' });
  return { frames, content, usage };
}
