import { mockChatChunks, mockChatCompletion } from '../chat';
import { mockCompletion, mockCompletionChunks } from '../completions';
import { mockEmbeddings } from '../embeddings';
import type { TokenCounter } from '../tokens';
import type { ChatBody, CompletionBody, EmbeddingsBody, Usage } from '../types';

export type Operation = 'chat' | 'completions' | 'embeddings';

export const OPERATION_BY_PATH: Record<string, Operation | undefined> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
};

/** What a request asks for is checked the way OpenAI checks it, so a bad body gets a 400. */
export function missingParam(op: Operation, body: Record<string, unknown>): string | null {
  if (typeof body.model !== 'string' || body.model === '') return 'model';
  if (op === 'chat') return Array.isArray(body.messages) && body.messages.length > 0 ? null : 'messages';
  if (op === 'completions') return body.prompt === undefined ? 'prompt' : null;
  return body.input === undefined ? 'input' : null;
}

export interface JsonReply {
  json: unknown;
  usage: Usage;
}

export function jsonReply(
  op: Operation,
  body: Record<string, unknown>,
  omitUsage: boolean,
  tokens?: TokenCounter,
): JsonReply {
  const reply =
    op === 'chat'
      ? mockChatCompletion(body as unknown as ChatBody, { tokens })
      : op === 'completions'
        ? mockCompletion(body as unknown as CompletionBody, { tokens })
        : mockEmbeddings(body as unknown as EmbeddingsBody);
  const usage = reply.usage as Usage;
  if (omitUsage) delete (reply as { usage?: unknown }).usage;
  return { json: reply, usage };
}

export interface StreamReply {
  /** The SSE frames, `data: …\n\n` each, without the final `[DONE]`. */
  frames: string[];
  /** The content each frame carries, to bill what was generated when a stream stops early. */
  content: string[];
  usage: Usage;
}

/** The frames of a streamed reply; the usage chunk is sent only when asked for and not omitted. */
export function streamReply(
  op: Exclude<Operation, 'embeddings'>,
  body: Record<string, unknown>,
  omitUsage: boolean,
  tokens?: TokenCounter,
): StreamReply {
  const sendUsage =
    !omitUsage && (body.stream_options as { include_usage?: unknown } | null | undefined)?.include_usage === true;
  const withUsage = { ...body, stream_options: { include_usage: true } };
  const chunks: {
    usage?: Usage | null;
    choices: { delta?: { content?: string | null; tool_calls?: unknown[] }; text?: string }[];
  }[] =
    op === 'chat'
      ? mockChatChunks(withUsage as unknown as ChatBody, { tokens })
      : mockCompletionChunks(withUsage as unknown as CompletionBody, { tokens });
  const usage = chunks.pop()!.usage as Usage;
  const frames: string[] = [];
  const content: string[] = [];
  for (const chunk of chunks) {
    if (!sendUsage) delete chunk.usage;
    frames.push(`data: ${JSON.stringify(chunk)}\n\n`);
    const choice = chunk.choices[0];
    const args = (choice?.delta?.tool_calls?.[0] as { function?: { arguments?: string } } | undefined)?.function
      ?.arguments;
    content.push(choice?.delta?.content ?? args ?? choice?.text ?? '');
  }
  if (sendUsage) {
    frames.push(`data: ${JSON.stringify({ ...chunks[0], choices: [], usage })}\n\n`);
    content.push('');
  }
  return { frames, content, usage };
}
