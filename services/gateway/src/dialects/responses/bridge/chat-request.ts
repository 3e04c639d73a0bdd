import type { OpenAiError } from '@sluice/contracts';
import { invalidItem, notBridged } from './bridge-refusals';
import { chatMessagesOf } from './chat-messages';

export type ChatRequest = { ok: true; body: Record<string, unknown> } | { ok: false; error: OpenAiError };

/** Responses fields that mean the same in chat completions. */
const SAME = ['model', 'stream', 'temperature', 'top_p', 'user', 'parallel_tool_calls', 'prompt_cache_key'] as const;
/**
 * Accepted, nothing to send: Sluice's own concern (`store`, `previous_response_id`, `metadata` kept
 * on the response), client bookkeeping (Codex's `client_metadata`, `safety_identifier`,
 * `service_tier`, `stream_options`), or read below.
 */
const HANDLED = new Set([
  ...SAME,
  'input',
  'instructions',
  'max_output_tokens',
  'tools',
  'tool_choice',
  'text',
  'reasoning',
  'include',
  'truncation',
  'store',
  'previous_response_id',
  'metadata',
  'client_metadata',
  'safety_identifier',
  'service_tier',
  'stream_options',
  'background',
]);

/**
 * A Responses body as a chat completions body for an upstream without the Responses API: the
 * stored conversation (`previous`, oldest first), `instructions` as the first system message, the
 * input items as messages, function tools, the tool choice, the output format and cap. What has no
 * chat equivalent is refused with a 400 naming it.
 */
export function chatRequestOf(body: Record<string, unknown>, previous: readonly unknown[]): ChatRequest {
  for (const [field, value] of Object.entries(body)) {
    if (value !== undefined && value !== null && !HANDLED.has(field)) return refuse(notBridged(field, ''));
  }
  const reasoning = body.reasoning as Record<string, unknown> | null | undefined;
  // A summary of reasoning the model may not do is an answer without one; an effort asks for behaviour chat cannot be
  // told.
  for (const field of Object.keys(reasoning ?? {}))
    if (field !== 'summary' && reasoning![field] !== null) return refuse(notBridged(`reasoning.${field}`, ''));
  if (Array.isArray(body.include) && body.include.includes('message.output_text.logprobs'))
    return refuse(notBridged('include', "with the value 'message.output_text.logprobs'"));
  if (body.truncation !== undefined && body.truncation !== null && body.truncation !== 'disabled')
    return refuse(notBridged('truncation', `with the value ${JSON.stringify(body.truncation)}`));

  const chat: Record<string, unknown> = {};
  for (const field of SAME) if (body[field] !== undefined && body[field] !== null) chat[field] = body[field];
  if (typeof body.max_output_tokens === 'number') chat.max_tokens = body.max_output_tokens;

  const messages: Record<string, unknown>[] = [];
  const earlier = chatMessagesOf(previous, (i) => `previous_response_id (stored item ${i})`, false);
  if (!earlier.ok) return earlier;
  const instructions = body.instructions;
  if (typeof instructions === 'string') messages.push({ role: 'system', content: instructions });
  else if (Array.isArray(instructions)) {
    const mapped = chatMessagesOf(instructions, (i) => `instructions[${i}]`);
    if (!mapped.ok) return mapped;
    messages.push(...mapped.messages);
  }
  messages.push(...earlier.messages);
  const input =
    typeof body.input === 'string'
      ? [{ type: 'message', role: 'user', content: body.input }]
      : (body.input as unknown[]);
  const current = chatMessagesOf(input, (i) => `input[${i}]`);
  if (!current.ok) return current;
  messages.push(...current.messages);
  chat.messages = messages;

  if (Array.isArray(body.tools) && body.tools.length > 0) {
    const tools: unknown[] = [];
    for (let i = 0; i < body.tools.length; i++) {
      const tool = body.tools[i] as Record<string, unknown>;
      if (tool?.type !== 'function')
        return refuse(notBridged(`tools[${i}].type`, `with the value ${JSON.stringify(tool?.type)}`));
      if (typeof tool.name !== 'string')
        return refuse(invalidItem(`tools[${i}].name`, `Missing required parameter: 'tools[${i}].name'.`));
      const fn: Record<string, unknown> = { name: tool.name };
      for (const f of ['description', 'parameters', 'strict'])
        if (tool[f] !== undefined && tool[f] !== null) fn[f] = tool[f];
      tools.push({ type: 'function', function: fn });
    }
    chat.tools = tools;
  }
  const choice = toolChoiceOf(body.tool_choice);
  if (choice instanceof Error)
    return refuse(notBridged('tool_choice', `with the value ${JSON.stringify(body.tool_choice)}`));
  if (choice !== undefined) chat.tool_choice = choice;
  const format = responseFormatOf(body.text);
  if (!format.ok) return format;
  if (format.value !== undefined) chat.response_format = format.value;
  return { ok: true, body: chat };
}

const refuse = (error: OpenAiError): ChatRequest => ({ ok: false, error });

function toolChoiceOf(choice: unknown): unknown {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  const c = choice as { type?: unknown; name?: unknown };
  if (c?.type === 'function' && typeof c.name === 'string') return { type: 'function', function: { name: c.name } };
  return new Error('not bridged');
}

/** `text.format` as chat's `response_format`; `text.verbosity` has no chat counterpart. */
function responseFormatOf(text: unknown): { ok: true; value: unknown } | { ok: false; error: OpenAiError } {
  if (text === undefined || text === null) return { ok: true, value: undefined };
  const t = text as { format?: Record<string, unknown>; verbosity?: unknown };
  for (const field of Object.keys(t))
    if (field !== 'format' && t[field as keyof typeof t] !== null)
      return { ok: false, error: notBridged(`text.${field}`, '') };
  const format = t.format;
  if (!format || format.type === 'text') return { ok: true, value: undefined };
  if (format.type === 'json_object') return { ok: true, value: { type: 'json_object' } };
  if (format.type === 'json_schema') {
    const schema: Record<string, unknown> = {};
    for (const f of ['name', 'schema', 'strict', 'description'])
      if (format[f] !== undefined && format[f] !== null) schema[f] = format[f];
    return { ok: true, value: { type: 'json_schema', json_schema: schema } };
  }
  return { ok: false, error: notBridged('text.format.type', `with the value ${JSON.stringify(format.type)}`) };
}
