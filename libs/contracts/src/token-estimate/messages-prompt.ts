import { anthropicSource } from './media-parts';
import { listsTools, type PromptTokens, Tally } from './tally';

/** Body fields besides the messages that the upstream renders into the prompt and bills. */
const BILLED_DEFINITIONS = ['tools', 'tool_choice'] as const;

/**
 * Anthropic's Messages body: the system prompt (a string or text blocks), every message (its
 * content a string or blocks: text, images, documents, tool uses and results, thinking), the tool
 * definitions and a forced tool choice. Thinking and output settings add no prompt tokens: what
 * the model thinks is output, within `max_tokens`.
 */
export function messagesPromptTokens(body: Record<string, unknown>): PromptTokens {
  const t = new Tally();
  if (body.system !== undefined && body.system !== null) {
    t.turn();
    blocks(t, body.system);
  }
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  for (const m of messages) {
    t.turn();
    if (m === null || typeof m !== 'object' || Array.isArray(m)) {
      t.json(m);
      continue;
    }
    const message = m as Record<string, unknown>;
    for (const field in message) {
      t.key(field);
      if (field === 'content') blocks(t, message.content);
      else t.json(message[field]);
    }
  }
  t.definitions(body, BILLED_DEFINITIONS, listsTools);
  return t.prompt();
}

/**
 * Anthropic content: a string or blocks, walked like any JSON but for media, which count by
 * their own rule (images tallied, documents as files), and the content nested in tool results,
 * which may hold images too. Text and the JSON of other blocks join the estimate at four
 * characters a token.
 */
function blocks(t: Tally, content: unknown): void {
  if (!Array.isArray(content)) {
    const chars = t.chars;
    t.json(content);
    t.estimateChars(chars);
    return;
  }
  t.brackets();
  for (const block of content) {
    if (block === null || typeof block !== 'object' || Array.isArray(block)) {
      const chars = t.chars;
      t.json(block);
      t.estimateChars(chars);
      continue;
    }
    const b = block as Record<string, unknown>;
    t.brackets();
    const chars = t.chars;
    // A tool result's content is walked as blocks of its own (it may hold images), and estimated as theirs.
    let nestedChars = 0;
    for (const k in b) {
      t.key(k);
      const v = b[k];
      if (k === 'content' && b.type === 'tool_result') {
        const before = t.chars;
        blocks(t, v);
        nestedChars += t.chars - before;
      } else if (
        k === 'source' &&
        (b.type === 'image' || b.type === 'document') &&
        v !== null &&
        typeof v === 'object'
      ) {
        t.jsonBeside(v, anthropicSource(t, b.type, v as Record<string, unknown>));
      } else {
        t.json(v);
      }
    }
    t.estimateChars(chars + nestedChars);
  }
}
