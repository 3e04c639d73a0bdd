import type { OpenAiError, ProviderType } from '@sluice/contracts';

/** A translation that cannot be made: the 400 names the field. */
export class Untranslatable {
  constructor(readonly error: OpenAiError) {}
}

export const untranslatable = (param: string, what: string, providerType: ProviderType): Untranslatable =>
  new Untranslatable({
    status: 400,
    type: 'invalid_request_error',
    code: 'unsupported_parameter',
    param,
    message: `${param}: ${what} is not supported with this model: its provider (${providerType}) is reached by translating the Messages API to chat completions, which has no equivalent. Only anthropic providers take it.`,
  });

type Block = Record<string, unknown>;
export type ChatMessage = Record<string, unknown>;
type Refuse = (param: string, what: string) => Untranslatable;

const blocksOf = (content: unknown): Block[] | null => (Array.isArray(content) ? (content as Block[]) : null);

/** System text (the `system` field, a system-role turn, a tool result): a string, or text blocks joined. */
export function textOf(content: unknown, at: string, refuse: Refuse): string | Untranslatable {
  if (typeof content === 'string') return content;
  const blocks = blocksOf(content);
  if (!blocks) return refuse(at, 'this content');
  let text = '';
  for (let j = 0; j < blocks.length; j++) {
    const b = blocks[j];
    // cache_control and citations say nothing about what is asked: they are left behind.
    if (b?.type !== 'text' || typeof b.text !== 'string')
      return refuse(`${at}.${j}.type`, `a ${JSON.stringify(b?.type)} block here`);
    text += (text && b.text ? '\n' : '') + b.text;
  }
  return text;
}

/**
 * A user turn: its tool results become `tool` messages (first: chat wants them right after the
 * assistant's tool calls), the rest one user message of text, image and file parts.
 */
export function userTurn(content: unknown, at: string, refuse: Refuse): ChatMessage[] | Untranslatable {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const blocks = blocksOf(content)!;
  const tools: ChatMessage[] = [];
  const parts: Record<string, unknown>[] = [];
  for (let j = 0; j < blocks.length; j++) {
    const b = blocks[j];
    const here = `${at}.content.${j}`;
    switch (b?.type) {
      case 'text':
        parts.push({ type: 'text', text: b.text });
        break;
      case 'image': {
        const url = imageUrl(b.source as Block | undefined);
        if (!url)
          return refuse(
            `${here}.source.type`,
            `an image from a ${JSON.stringify((b.source as Block | undefined)?.type)} source`,
          );
        parts.push({ type: 'image_url', image_url: { url } });
        break;
      }
      case 'document': {
        const part = documentPart(b);
        if (!part)
          return refuse(
            `${here}.source.type`,
            `a document from a ${JSON.stringify((b.source as Block | undefined)?.type)} source`,
          );
        parts.push(part);
        break;
      }
      case 'tool_result': {
        const text = textOf(b.content ?? '', `${here}.content`, refuse);
        if (text instanceof Untranslatable) return text;
        tools.push({ role: 'tool', tool_call_id: b.tool_use_id, content: text });
        break;
      }
      default:
        return refuse(`${here}.type`, `a ${JSON.stringify(b?.type)} block`);
    }
  }
  return parts.length > 0 ? [...tools, { role: 'user', content: parts }] : tools;
}

/**
 * An assistant turn: text, and tool uses as tool calls. Its thinking is left behind, as Anthropic leaves a past turn's
 * thinking out of the prompt.
 */
export function assistantTurn(content: unknown, at: string, refuse: Refuse): ChatMessage | Untranslatable {
  if (typeof content === 'string') return { role: 'assistant', content };
  const blocks = blocksOf(content)!;
  let text = '';
  const toolCalls: Record<string, unknown>[] = [];
  for (let j = 0; j < blocks.length; j++) {
    const b = blocks[j];
    if (b?.type === 'text' && typeof b.text === 'string') text += b.text;
    else if (b?.type === 'tool_use')
      toolCalls.push({
        id: b.id,
        type: 'function',
        function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) },
      });
    else if (b?.type !== 'thinking' && b?.type !== 'redacted_thinking')
      return refuse(`${at}.content.${j}.type`, `a ${JSON.stringify(b?.type)} block`);
  }
  const message: ChatMessage = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

function imageUrl(source: Block | undefined): string | null {
  if (source?.type === 'base64' && typeof source.data === 'string' && typeof source.media_type === 'string')
    return `data:${source.media_type};base64,${source.data}`;
  if (source?.type === 'url' && typeof source.url === 'string') return source.url;
  return null;
}

/** A PDF as an OpenAI file part; a plain-text document as its text. */
function documentPart(b: Block): Record<string, unknown> | null {
  const source = b.source as Block | undefined;
  if (source?.type === 'text' && typeof source.data === 'string') return { type: 'text', text: source.data };
  if (source?.type === 'base64' && source.media_type === 'application/pdf' && typeof source.data === 'string') {
    const name = typeof b.title === 'string' && b.title !== '' ? b.title : 'document';
    return { type: 'file', file: { filename: `${name}.pdf`, file_data: `data:application/pdf;base64,${source.data}` } };
  }
  return null;
}
