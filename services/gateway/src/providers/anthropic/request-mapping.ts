import type { OpenAiError } from '@sluice/contracts';
import { DEFAULT_MAX_TOKENS, type AnthropicBlock, type AnthropicMessage } from './anthropic-wire';
import { contentBlocks, systemPrompt, toolResult, toolUses, type Refusal } from './message-mapping';
import { refuse, unsupportedParameter } from './refusal';
import { toolChoice, tools } from './tool-mapping';

export type MappedRequest = { ok: true; body: Record<string, unknown> } | { ok: false; error: OpenAiError };

/** OpenAI fields with no Anthropic counterpart, accepted only at the value that changes nothing. */
const NEUTRAL: Record<string, (v: unknown) => boolean> = {
  n: (v) => v === 1,
  logprobs: (v) => v === false,
  frequency_penalty: (v) => v === 0,
  presence_penalty: (v) => v === 0,
  logit_bias: (v) => typeof v === 'object' && v !== null && Object.keys(v).length === 0,
  response_format: (v) => (v as { type?: unknown })?.type === 'text',
};
/** OpenAI-side bookkeeping that does not change what the model generates. */
const IGNORED = new Set([
  'store',
  'metadata',
  'service_tier',
  'prompt_cache_key',
  'safety_identifier',
  'stream_options',
]);
const MAPPED = new Set([
  'model',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'stream',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'user',
]);

export const unsupported = (param: string, what: string): OpenAiError =>
  unsupportedParameter(
    param,
    `Unsupported parameter: '${param}'${what ? ` ${what}` : ''} is not supported with this model (its provider is Anthropic).`,
  );

/**
 * An OpenAI chat body as an Anthropic Messages body. What cannot be translated is refused with a
 * 400 naming the field, never dropped: a client must not get an answer to a different question.
 * `outputCap` is the one cap the upstream is given (upstreamCap: what policy reserved for).
 */
export function anthropicRequest(
  body: Record<string, unknown>,
  upstreamModel: string,
  outputCap: number | null | undefined,
  stream: boolean,
): MappedRequest {
  for (const [field, value] of Object.entries(body)) {
    if (value === null || value === undefined || MAPPED.has(field) || IGNORED.has(field)) continue;
    if (NEUTRAL[field]?.(value)) continue;
    return { ok: false, error: unsupported(field, NEUTRAL[field] ? `with the value ${JSON.stringify(value)}` : '') };
  }
  const system: AnthropicBlock[][] = [];
  const messages: AnthropicMessage[] = [];
  const push = (role: AnthropicMessage['role'], blocks: AnthropicBlock[]) => {
    const last = messages.at(-1);
    // Anthropic wants user and assistant turns to alternate; OpenAI allows runs of one role.
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  const list = body.messages as Record<string, unknown>[];
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    const at = `messages[${i}]`;
    // Anthropic takes a breakpoint on a content block, not a message: refused rather than lost.
    if (m.cache_control !== undefined && m.cache_control !== null)
      return {
        ok: false,
        error: refuse(
          `${at}.cache_control`,
          `A message's cache_control is not supported: put it on a part of '${at}.content'`,
        ).error,
      };
    let mapped: AnthropicBlock[] | Refusal;
    switch (m.role) {
      case 'system':
      case 'developer':
        mapped = contentBlocks(m.content, at, false);
        if (Array.isArray(mapped)) system.push(mapped);
        break;
      case 'user':
        mapped = contentBlocks(m.content, at, true);
        if (Array.isArray(mapped)) push('user', mapped);
        break;
      case 'assistant': {
        mapped = contentBlocks(m.content ?? '', at, false);
        const uses = toolUses(m.tool_calls, at);
        if (!Array.isArray(uses)) return { ok: false, error: uses.error };
        if (Array.isArray(mapped)) push('assistant', [...mapped, ...uses]);
        break;
      }
      case 'tool':
        mapped = toolResult(m, at);
        if (Array.isArray(mapped)) push('user', mapped);
        break;
      default:
        return { ok: false, error: unsupported(`${at}.role`, `with the value ${JSON.stringify(m.role)}`) };
    }
    if (typeof mapped === 'object' && !Array.isArray(mapped)) return { ok: false, error: mapped.error };
  }

  const out: Record<string, unknown> = { model: upstreamModel };
  if (system.length > 0) out.system = systemPrompt(system);
  out.messages = messages;
  out.max_tokens = positive(outputCap) ?? DEFAULT_MAX_TOKENS;
  if (typeof body.temperature === 'number') out.temperature = body.temperature;
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  if (typeof body.stop === 'string') out.stop_sequences = [body.stop];
  else if (Array.isArray(body.stop)) out.stop_sequences = body.stop;
  if (body.tools !== undefined && body.tools !== null) {
    const mappedTools = tools(body.tools);
    if (!Array.isArray(mappedTools)) return { ok: false, error: mappedTools.error };
    out.tools = mappedTools;
  }
  const choice = toolChoice(body.tool_choice, body.parallel_tool_calls);
  if (choice && 'error' in choice) return { ok: false, error: (choice as Refusal).error };
  if (choice) out.tool_choice = choice;
  if (typeof body.user === 'string' && body.user !== '') out.metadata = { user_id: body.user };
  if (stream) out.stream = true;
  return { ok: true, body: out };
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : undefined;
}
