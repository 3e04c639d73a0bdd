import type { Route } from '@sluice/contracts';
import { chatCapField } from '../../../providers/output-cap';
import { assistantTurn, textOf, untranslatable, userTurn, Untranslatable, type ChatMessage } from './content-blocks';

/**
 * What translation does with each top-level Messages field. `drop`: accepted and left behind —
 * settings that do not change what is asked (cache breakpoints, context editing, service tier,
 * speed, region) or how hard the model thinks (`thinking`: the answer simply has no thinking
 * blocks, as with thinking off). A field missing here has no chat equivalent (`top_k`, server-side
 * `container` and `mcp_servers`, anything new) and is refused with a 400 naming it: a client must
 * never get an answer to a different question.
 */
const FIELDS: Record<string, 'map' | 'drop'> = {
  model: 'map',
  max_tokens: 'map',
  messages: 'map',
  system: 'map',
  stream: 'map',
  temperature: 'map',
  top_p: 'map',
  stop_sequences: 'map',
  tools: 'map',
  tool_choice: 'map',
  metadata: 'map',
  output_config: 'map',
  thinking: 'drop',
  context_management: 'drop',
  cache_control: 'drop',
  service_tier: 'drop',
  speed: 'drop',
  inference_geo: 'drop',
};

export type ChatRequest = { ok: true; body: Record<string, unknown> } | { ok: false; error: Untranslatable['error'] };

/**
 * A Messages body as the chat completions body an OpenAI-shaped provider takes, or the 400 for what cannot be said in
 * chat.
 */
export function chatRequest(
  body: Record<string, unknown>,
  route: Pick<Route, 'providerType' | 'upstreamModel'>,
): ChatRequest {
  const result = translate(body, route);
  return result instanceof Untranslatable ? { ok: false, error: result.error } : { ok: true, body: result };
}

function translate(
  body: Record<string, unknown>,
  route: Pick<Route, 'providerType' | 'upstreamModel'>,
): Record<string, unknown> | Untranslatable {
  const refuse = (param: string, what: string) => untranslatable(param, what, route.providerType);
  for (const [field, value] of Object.entries(body))
    if (value !== undefined && value !== null && FIELDS[field] === undefined) return refuse(field, 'this field');
  const messages: ChatMessage[] = [];
  if (body.system !== undefined && body.system !== null) {
    const system = textOf(body.system, 'system', refuse);
    if (system instanceof Untranslatable) return system;
    messages.push({ role: 'system', content: system });
  }
  const turns = body.messages as { role: string; content: unknown }[];
  for (let i = 0; i < turns.length; i++) {
    const at = `messages.${i}`;
    const { role, content } = turns[i];
    if (role === 'user') {
      const user = userTurn(content, at, refuse);
      if (user instanceof Untranslatable) return user;
      messages.push(...user);
    } else if (role === 'assistant') {
      const assistant = assistantTurn(content, at, refuse);
      if (assistant instanceof Untranslatable) return assistant;
      messages.push(assistant);
    } else if (role === 'system') {
      // A system turn mid-conversation (Claude Code sends them): chat takes system messages anywhere.
      const system = textOf(content, `${at}.content`, refuse);
      if (system instanceof Untranslatable) return system;
      messages.push({ role: 'system', content: system });
    } else {
      return refuse(`${at}.role`, `the role ${JSON.stringify(role)}`);
    }
  }
  const out: Record<string, unknown> = {
    model: route.upstreamModel,
    messages,
    [chatCapField(route.providerType)]: body.max_tokens,
  };
  if (body.stream === true) out.stream = true;
  if (typeof body.temperature === 'number') out.temperature = body.temperature;
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0) out.stop = body.stop_sequences;
  const user = (body.metadata as { user_id?: unknown } | null | undefined)?.user_id;
  if (typeof user === 'string' && user !== '') out.user = user;
  const tools = toolsOf(body, refuse);
  if (tools instanceof Untranslatable) return tools;
  Object.assign(out, tools);
  const format = responseFormat(body.output_config, refuse);
  if (format instanceof Untranslatable) return format;
  if (format) out.response_format = format;
  return out;
}

/**
 * Custom tools as function tools; `tool_choice` with its parallel switch. Anthropic's server tools run on Anthropic's
 * side: refused.
 */
function toolsOf(
  body: Record<string, unknown>,
  refuse: (param: string, what: string) => Untranslatable,
): Record<string, unknown> | Untranslatable {
  const list = Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]) : [];
  if (list.length === 0) return {};
  const tools = [];
  for (let i = 0; i < list.length; i++) {
    const t = list[i];
    if ((t?.type !== undefined && t.type !== 'custom') || typeof t?.name !== 'string')
      return refuse(`tools.${i}.type`, `the ${JSON.stringify(t?.type)} tool (it runs on Anthropic's side)`);
    const fn: Record<string, unknown> = {
      name: t.name,
      parameters: t.input_schema ?? { type: 'object', properties: {} },
    };
    if (typeof t.description === 'string') fn.description = t.description;
    if (typeof t.strict === 'boolean') fn.strict = t.strict;
    tools.push({ type: 'function', function: fn });
  }
  const out: Record<string, unknown> = { tools };
  const choice = body.tool_choice as
    | { type?: unknown; name?: unknown; disable_parallel_tool_use?: unknown }
    | null
    | undefined;
  if (choice === undefined || choice === null) return out;
  if (choice.type === 'auto') out.tool_choice = 'auto';
  else if (choice.type === 'any') out.tool_choice = 'required';
  else if (choice.type === 'none') out.tool_choice = 'none';
  else if (choice.type === 'tool' && typeof choice.name === 'string')
    out.tool_choice = { type: 'function', function: { name: choice.name } };
  else return refuse('tool_choice.type', `the tool choice ${JSON.stringify(choice.type)}`);
  if (choice.disable_parallel_tool_use === true && choice.type !== 'none') out.parallel_tool_calls = false;
  return out;
}

/**
 * `output_config`: its effort is a thinking setting (left behind); a JSON schema format is chat's `response_format`.
 */
function responseFormat(
  config: unknown,
  refuse: (param: string, what: string) => Untranslatable,
): Record<string, unknown> | null | Untranslatable {
  if (config === undefined || config === null) return null;
  if (typeof config !== 'object' || Array.isArray(config)) return refuse('output_config', 'this value');
  const { effort: _effort, format, ...rest } = config as Record<string, unknown>;
  const other = Object.keys(rest)[0];
  if (other !== undefined) return refuse(`output_config.${other}`, 'this field');
  if (format === undefined || format === null) return null;
  const f = format as { type?: unknown; schema?: unknown };
  if (f.type !== 'json_schema' || typeof f.schema !== 'object' || f.schema === null)
    return refuse('output_config.format.type', `the format ${JSON.stringify(f.type)}`);
  return { type: 'json_schema', json_schema: { name: 'output', schema: f.schema, strict: true } };
}
