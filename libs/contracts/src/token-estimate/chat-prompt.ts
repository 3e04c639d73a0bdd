import { type PromptTokens, Tally } from './tally';

/** Body fields besides the messages that the upstream renders into the prompt and bills. */
const BILLED_DEFINITIONS = ['tools', 'functions', 'response_format', 'tool_choice', 'function_call'] as const;
const bringsPreamble = (field: string): boolean => field === 'tools' || field === 'functions';

/**
 * An OpenAI chat body: every message (its content a string or parts: text, images, audio, files;
 * its tool calls), the tool and function definitions, the response format and a forced choice.
 */
export function chatPromptTokens(body: Record<string, unknown>): PromptTokens {
  const t = new Tally();
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  for (const m of messages) {
    t.turn();
    if (m === null || typeof m !== 'object') {
      t.json(m);
      continue;
    }
    const message = m as Record<string, unknown>;
    for (const field in message) {
      t.key(field);
      const value = message[field];
      if (field === 'content') {
        const text = t.text;
        t.content(value);
        t.estimateText(text);
      } else if (field === 'tool_calls' || field === 'function_call') {
        const chars = t.chars;
        t.json(value);
        t.estimateChars(chars);
      } else {
        t.json(value);
      }
    }
  }
  t.definitions(body, BILLED_DEFINITIONS, bringsPreamble);
  return t.prompt();
}
