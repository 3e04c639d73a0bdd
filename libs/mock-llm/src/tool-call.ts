import { ASKS_FOR_TOOL, toolInputFor } from './tool-use';

/**
 * A function tool as the mock reads it, from chat (`{type, function: {name, parameters}}`) or Responses (`{type, name,
 * parameters}`).
 */
interface FunctionTool {
  name: string;
  parameters?: { properties?: Record<string, { type?: unknown }> };
}

export interface MockToolCall {
  name: string;
  arguments: string;
}

function functionTools(tools: unknown): FunctionTool[] {
  if (!Array.isArray(tools)) return [];
  const found: FunctionTool[] = [];
  for (const t of tools as Record<string, unknown>[]) {
    if (t?.type !== 'function') continue;
    const fn = (t.function ?? t) as { name?: unknown; parameters?: FunctionTool['parameters'] };
    if (typeof fn.name === 'string') found.push({ name: fn.name, parameters: fn.parameters });
  }
  return found;
}

/** `tool_choice` naming one function (chat's and Responses' shapes), or `required`. */
function forcedName(choice: unknown, tools: FunctionTool[]): string | null {
  if (choice === 'required') return tools[0]?.name ?? null;
  if (choice === null || typeof choice !== 'object') return null;
  const c = choice as { type?: unknown; name?: unknown; function?: { name?: unknown } };
  const name = c.type === 'function' ? (c.function?.name ?? c.name) : undefined;
  return typeof name === 'string' ? name : null;
}

/**
 * The mock calls a function tool when the request forces one (`tool_choice`), or when the last
 * user turn says "call <name>" or "use <name>" (that tool) or "use the tool" (the first one) —
 * never after a tool's result, so a round trip ends with text, and never with `tool_choice:
 * "none"`. The arguments fill every declared property: strings with the prompt's first quoted
 * word (else "mock"), numbers with 1, booleans with true; a tool that declares none gets a query
 * quoting the prompt.
 */
export function mockToolCall(tools: unknown, toolChoice: unknown, lastUserText: string | null): MockToolCall | null {
  if (lastUserText === null || toolChoice === 'none') return null;
  const available = functionTools(tools);
  if (available.length === 0) return null;
  const name =
    forcedName(toolChoice, available) ??
    available.find((t) => new RegExp(`\\b(call|use) ${escapeRegExp(t.name)}\\b`, 'i').test(lastUserText))?.name ??
    (ASKS_FOR_TOOL.test(lastUserText) ? available[0].name : undefined);
  const tool = name && available.find((t) => t.name === name);
  if (!tool) return null;
  const properties = Object.entries(tool.parameters?.properties ?? {});
  if (properties.length === 0) return { name: tool.name, arguments: JSON.stringify(toolInputFor(lastUserText)) };
  const quoted = /["'“]([^"'”]+)["'”]/.exec(lastUserText)?.[1] ?? toolInputFor(lastUserText).query;
  const args: Record<string, unknown> = {};
  for (const [prop, schema] of properties) {
    args[prop] =
      schema?.type === 'number' || schema?.type === 'integer' ? 1 : schema?.type === 'boolean' ? true : quoted;
  }
  return { name: tool.name, arguments: JSON.stringify(args) };
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
