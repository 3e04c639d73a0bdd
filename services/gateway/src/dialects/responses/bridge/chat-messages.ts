import type { OpenAiError } from '@sluice/contracts';
import { cacheControlMessage, cacheControlOf } from '../../../providers/anthropic/cache-control';
import { invalidItem, notBridged } from './bridge-refusals';

type ChatMessage = Record<string, unknown> & { role: string };
type Mapped = { ok: true; messages: ChatMessage[] } | { ok: false; error: OpenAiError };

const ROLES: Record<string, string> = { user: 'user', assistant: 'assistant', system: 'system', developer: 'system' };

/**
 * Responses input items as chat messages, in order: messages (their parts), function calls (runs
 * of them become one assistant turn's `tool_calls`, after its text when it has some) and their
 * outputs (`tool` messages). Reasoning items are the model's own hidden state from an earlier turn,
 * which a chat upstream has no way to take back: they are left out. Any other item is refused,
 * named by `param` (`input[3]`).
 */
export function chatMessagesOf(
  items: readonly unknown[],
  paramOf: (i: number) => string,
  /** Keep the parts' cache breakpoints: not on a stored conversation, whose turns each left one (Anthropic takes 4). */
  breakpoints = true,
): Mapped {
  const messages: ChatMessage[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as Record<string, unknown>;
    const param = paramOf(i);
    const type = item.type ?? 'message';
    if (type === 'message') {
      const role = ROLES[String(item.role)];
      if (!role)
        return {
          ok: false,
          error: invalidItem(
            `${param}.role`,
            `Invalid value for '${param}.role': expected one of user, assistant, system or developer.`,
          ),
        };
      const content =
        role === 'assistant' ? assistantText(item.content, param) : contentParts(item.content, param, breakpoints);
      if (!content.ok) return content;
      messages.push({ role, content: content.value });
    } else if (type === 'function_call') {
      if (typeof item.call_id !== 'string' || typeof item.name !== 'string')
        return { ok: false, error: invalidItem(param, `Invalid '${param}': a function_call needs call_id and name.`) };
      const call = {
        id: item.call_id,
        type: 'function',
        function: { name: item.name, arguments: typeof item.arguments === 'string' ? item.arguments : '' },
      };
      const last = messages.at(-1);
      if (last?.role === 'assistant') ((last.tool_calls ??= []) as unknown[]).push(call);
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (type === 'function_call_output') {
      if (typeof item.call_id !== 'string')
        return { ok: false, error: invalidItem(`${param}.call_id`, `Missing required parameter: '${param}.call_id'.`) };
      const output =
        typeof item.output === 'string'
          ? { ok: true as const, value: item.output }
          : contentParts(item.output, `${param}.output`, breakpoints);
      if (!output.ok) return output;
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: output.value });
    } else if (type !== 'reasoning') {
      return { ok: false, error: notBridged(`${param}.type`, `with the value ${JSON.stringify(type)}`) };
    }
  }
  return { ok: true, messages };
}

type Content = { ok: true; value: unknown } | { ok: false; error: OpenAiError };

/** A user, system or developer message's content: a string, or input parts as chat parts. */
function contentParts(content: unknown, param: string, breakpoints: boolean): Content {
  if (typeof content === 'string') return { ok: true, value: content };
  if (!Array.isArray(content))
    return {
      ok: false,
      error: invalidItem(
        `${param}.content`,
        `Invalid type for '${param}.content': expected a string or an array of content parts.`,
      ),
    };
  const parts: unknown[] = [];
  for (let j = 0; j < content.length; j++) {
    const part = content[j] as Record<string, unknown>;
    const at = `${param}.content[${j}]`;
    // A cache breakpoint goes on with its part, checked here so a refusal names the caller's field:
    // the provider adapter passes it to Anthropic; any other upstream gets Anthropic's shape or nothing.
    const cache = breakpoints ? cacheControlOf(part?.cache_control) : undefined;
    if (cache === null)
      return { ok: false, error: invalidItem(`${at}.cache_control`, cacheControlMessage(`${at}.cache_control`)) };
    if ((part?.type === 'input_text' || part?.type === 'output_text') && typeof part.text === 'string')
      parts.push(
        cache === undefined || !breakpoints
          ? { type: 'text', text: part.text }
          : { type: 'text', text: part.text, cache_control: cache },
      );
    else if (part?.type === 'input_image' && typeof part.image_url === 'string')
      parts.push({
        type: 'image_url',
        image_url: { url: part.image_url, ...(part.detail ? { detail: part.detail } : {}) },
      });
    else if (part?.type === 'input_file' && (typeof part.file_data === 'string' || typeof part.file_id === 'string')) {
      parts.push({
        type: 'file',
        file: {
          ...(part.file_data ? { file_data: part.file_data } : {}),
          ...(part.file_id ? { file_id: part.file_id } : {}),
          ...(part.filename ? { filename: part.filename } : {}),
        },
      });
    } else return { ok: false, error: notBridged(`${at}.type`, `with the value ${JSON.stringify(part?.type)}`) };
  }
  return { ok: true, value: parts };
}

/** An assistant message's content (what the model said before): its text, or its refusal. */
function assistantText(content: unknown, param: string): Content {
  if (typeof content === 'string') return { ok: true, value: content };
  if (!Array.isArray(content))
    return {
      ok: false,
      error: invalidItem(
        `${param}.content`,
        `Invalid type for '${param}.content': expected a string or an array of content parts.`,
      ),
    };
  let text = '';
  for (let j = 0; j < content.length; j++) {
    const part = content[j] as Record<string, unknown>;
    if ((part?.type === 'output_text' || part?.type === 'input_text') && typeof part.text === 'string')
      text += part.text;
    else if (part?.type === 'refusal' && typeof part.refusal === 'string') text += part.refusal;
    else
      return {
        ok: false,
        error: notBridged(`${param}.content[${j}].type`, `with the value ${JSON.stringify(part?.type)}`),
      };
  }
  return { ok: true, value: text };
}
