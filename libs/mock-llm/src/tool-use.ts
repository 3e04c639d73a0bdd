import { textOf } from './tokens';

/** A prompt that asks for a tool by saying so: "… use the tool …". */
export const ASKS_FOR_TOOL = /\buse the tool\b/i;

/** The input the mock gives a tool it calls: a query quoting the prompt. */
export const toolInputFor = (prompt: string): { query: string } => ({
  query: prompt.replace(/\s+/g, ' ').trim().slice(0, 48),
});

/**
 * Whether the mock answers with a call of the first tool (or the one named): when the request forces
 * a tool, or offers tools and its prompt says "use the tool" — unless the last turn already holds a
 * tool's result, which the mock then answers in text.
 */
export function toolToCall(
  tools: { name?: string }[],
  forced: boolean,
  forcedName: string | undefined,
  prompt: string,
  afterToolResult: boolean,
): string | null {
  if (tools.length === 0 || afterToolResult) return null;
  if (!forced && !ASKS_FOR_TOOL.test(prompt)) return null;
  return forcedName ?? tools[0].name ?? null;
}

/** What the mock answers after a tool ran: a reply quoting the tool's result. */
export const toolResultPrompt = (result: unknown): string => `tool result: ${textOf(result)}`;
