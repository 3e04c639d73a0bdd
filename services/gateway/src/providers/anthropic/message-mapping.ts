import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '@sluice/service';
import type { AnthropicBlock, CacheControl } from './anthropic-wire';
import { cacheControlMessage, cacheControlOf } from './cache-control';
import { refuse, type Refusal } from './refusal';

export type { Refusal };
const invalid = (param: string, message: string): Refusal => ({
  error: { status: 400, type: 'invalid_request_error', code: 'invalid_value', param, message },
});

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

const textOf = (blocks: AnthropicBlock[]): string => blocks.map((b) => (b as { text: string }).text).join('\n');

/**
 * The system and developer messages as Anthropic's `system`: their texts joined, or — when a part
 * carries a cache breakpoint, which only a block can hold — their text blocks.
 */
export function systemPrompt(messages: AnthropicBlock[][]): string | AnthropicBlock[] {
  if (messages.some((blocks) => blocks.some((b) => b.cache_control))) return messages.flat();
  return messages.map(textOf).join('\n\n');
}

/**
 * A user or assistant content: a string or an array of parts; images only from users. Empty text is left out (Anthropic
 * refuses it).
 */
export function contentBlocks(content: unknown, at: string, images: boolean): AnthropicBlock[] | Refusal {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content))
    return invalid(
      `${at}.content`,
      `Invalid type for '${at}.content': expected a string or an array of content parts.`,
    );
  const blocks: AnthropicBlock[] = [];
  for (let j = 0; j < content.length; j++) {
    const part = content[j] as {
      type?: unknown;
      text?: unknown;
      image_url?: { url?: unknown };
      cache_control?: unknown;
    };
    const param = `${at}.content[${j}]`;
    const cache = cacheControl(part?.cache_control, param);
    if (cache !== undefined && 'error' in cache) return cache;
    if (part?.type === 'text' && typeof part.text === 'string') {
      // An empty text is left out (Anthropic refuses it), unless it carries a breakpoint: then
      // Anthropic's refusal reaches the client rather than the breakpoint being lost.
      if (cache) blocks.push({ type: 'text', text: part.text, cache_control: cache });
      else if (part.text !== '') blocks.push({ type: 'text', text: part.text });
    } else if (part?.type === 'image_url' && images) {
      const image = imageBlock(part.image_url?.url);
      if (!image)
        return invalid(
          `${param}.image_url.url`,
          `Invalid '${param}.image_url.url': expected an https URL or a base64 data URL.`,
        );
      blocks.push(cache ? { ...image, cache_control: cache } : image);
    } else {
      return refuse(
        `${param}.type`,
        `Content parts of type ${JSON.stringify(part?.type)} are not supported in '${at}'`,
      );
    }
  }
  return blocks;
}

/**
 * A part's prompt-cache breakpoint, as OpenAI-compatible clients write Anthropic's on chat parts
 * (`cache_control: {type: "ephemeral"}`): passed on, since dropping it changes what the caller
 * pays for every later call. Anything but Anthropic's shape is refused, naming the field.
 */
export function cacheControl(value: unknown, param: string): CacheControl | undefined | Refusal {
  const cache = cacheControlOf(value);
  return cache === null ? invalid(`${param}.cache_control`, cacheControlMessage(`${param}.cache_control`)) : cache;
}

function imageBlock(url: unknown): AnthropicBlock | null {
  if (typeof url !== 'string') return null;
  const data = DATA_URL.exec(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } };
  return /^https?:\/\//.test(url) ? { type: 'image', source: { type: 'url', url } } : null;
}

/** An assistant's `tool_calls` as `tool_use` blocks; the arguments must be JSON, as Anthropic wants an object. */
export function toolUses(toolCalls: unknown, at: string): AnthropicBlock[] | Refusal {
  if (toolCalls === undefined || toolCalls === null) return [];
  if (!Array.isArray(toolCalls))
    return invalid(`${at}.tool_calls`, `Invalid type for '${at}.tool_calls': expected an array.`);
  const blocks: AnthropicBlock[] = [];
  for (let k = 0; k < toolCalls.length; k++) {
    const c = toolCalls[k] as { id?: unknown; type?: unknown; function?: { name?: unknown; arguments?: unknown } };
    const param = `${at}.tool_calls[${k}]`;
    if (c?.type !== 'function' || typeof c.id !== 'string' || typeof c.function?.name !== 'string') {
      return refuse(`${param}.type`, `Only function tool calls with an id and a name are supported in '${param}'`);
    }
    const args = typeof c.function.arguments === 'string' && c.function.arguments !== '' ? c.function.arguments : '{}';
    // Parsed into the request body, which is then serialised: bounded like the body itself.
    if (jsonNestsDeeperThan(Buffer.from(args))) {
      return {
        error: {
          status: 400,
          type: 'invalid_request_error',
          code: 'json_too_deep',
          param: `${param}.function.arguments`,
          message: `Invalid '${param}.function.arguments': JSON nested more than ${MAX_JSON_DEPTH} levels deep.`,
        },
      };
    }
    let input: unknown;
    try {
      input = JSON.parse(args);
    } catch {
      return invalid(`${param}.function.arguments`, `Invalid '${param}.function.arguments': not valid JSON.`);
    }
    blocks.push({ type: 'tool_use', id: c.id, name: c.function.name, input });
  }
  return blocks;
}

/** A `tool` message: a `tool_result` block in a user turn. */
export function toolResult(m: Record<string, unknown>, at: string): AnthropicBlock[] | Refusal {
  if (typeof m.tool_call_id !== 'string')
    return invalid(`${at}.tool_call_id`, `Missing required parameter: '${at}.tool_call_id'.`);
  const blocks = contentBlocks(m.content ?? '', at, false);
  if (!Array.isArray(blocks)) return blocks;
  // A breakpoint on any of its parts marks the one block the result becomes.
  const cache = blocks.findLast((b) => b.cache_control)?.cache_control;
  const result = { type: 'tool_result' as const, tool_use_id: m.tool_call_id, content: textOf(blocks) };
  return [cache ? { ...result, cache_control: cache } : result];
}
