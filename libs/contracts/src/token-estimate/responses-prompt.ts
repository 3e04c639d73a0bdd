import { listsTools, type PromptTokens, Tally } from './tally';

/**
 * Body fields besides the input that the upstream renders into the prompt and bills (`text` holds the output format's
 * schema).
 */
const BILLED_DEFINITIONS = ['tools', 'tool_choice', 'text'] as const;
/** Item fields that identify rather than say something: in the bound, not in the estimate. */
const UNBILLED_ITEM_FIELDS = new Set(['type', 'role', 'id', 'call_id', 'status']);

/**
 * A Responses body: `instructions`, the `input` (a string, or items of every type: messages and
 * their parts, function calls and their outputs, reasoning, tool calls …) and, when Sluice keeps
 * the conversation a `previous_response_id` continues, its items (`previous`) — the upstream is sent
 * and bills all of them. Each item counts like a chat message: its text at four characters a token
 * for the estimate, its whole JSON for the bound, media parts by their own rules.
 */
export function responsesPromptTokens(body: Record<string, unknown>, previous: readonly unknown[] = []): PromptTokens {
  const t = new Tally();
  const item = (value: unknown) => {
    t.turn();
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const chars = t.chars;
      t.content(value);
      t.estimateChars(chars);
      return;
    }
    const fields = value as Record<string, unknown>;
    for (const field in fields) {
      t.key(field);
      const chars = t.chars;
      if (field === 'content') t.content(fields[field]);
      else t.json(fields[field]);
      if (!UNBILLED_ITEM_FIELDS.has(field)) t.estimateChars(chars);
    }
  };
  for (const p of previous) item(p);
  const instructions = body.instructions;
  if (typeof instructions === 'string') item(instructions);
  else if (Array.isArray(instructions)) for (const i of instructions) item(i);
  const input = body.input;
  if (Array.isArray(input)) for (const i of input) item(i);
  else if (input !== undefined && input !== null) item(input);
  t.definitions(body, BILLED_DEFINITIONS, listsTools);
  return t.prompt();
}
