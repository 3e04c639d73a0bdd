import { cacheControl } from './message-mapping';
import { refuse, type Refusal } from './refusal';

/** OpenAI function tools as Anthropic tools (`parameters` is the `input_schema`), a tool's cache breakpoint with it. */
export function tools(list: unknown): Record<string, unknown>[] | Refusal {
  if (!Array.isArray(list)) return refuse('tools', "Invalid type for 'tools': expected an array");
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < list.length; i++) {
    const t = list[i] as {
      type?: unknown;
      function?: { name?: unknown; description?: unknown; parameters?: unknown };
      cache_control?: unknown;
    };
    if (t?.type !== 'function' || typeof t.function?.name !== 'string')
      return refuse(
        `tools[${i}].type`,
        `Only function tools are supported, 'tools[${i}]' is ${JSON.stringify(t?.type)}`,
      );
    const tool: Record<string, unknown> = {
      name: t.function.name,
      input_schema: t.function.parameters ?? { type: 'object', properties: {} },
    };
    if (typeof t.function.description === 'string') tool.description = t.function.description;
    const cache = cacheControl(t.cache_control, `tools[${i}]`);
    if (cache !== undefined && 'error' in cache) return cache;
    if (cache) tool.cache_control = cache;
    out.push(tool);
  }
  return out;
}

/** `tool_choice` and `parallel_tool_calls` together: Anthropic carries both in its `tool_choice`. */
export function toolChoice(choice: unknown, parallel: unknown): Record<string, unknown> | Refusal | null {
  let mapped: Record<string, unknown> | null;
  if (choice === undefined || choice === null) mapped = parallel === false ? { type: 'auto' } : null;
  else if (choice === 'auto') mapped = { type: 'auto' };
  else if (choice === 'required') mapped = { type: 'any' };
  else if (choice === 'none') mapped = { type: 'none' };
  else {
    const named = choice as { type?: unknown; function?: { name?: unknown } };
    if (named?.type !== 'function' || typeof named.function?.name !== 'string')
      return refuse('tool_choice', `'tool_choice' ${JSON.stringify(choice)} is not supported`);
    mapped = { type: 'tool', name: named.function.name };
  }
  if (mapped && parallel === false && mapped.type !== 'none') mapped.disable_parallel_tool_use = true;
  return mapped;
}
