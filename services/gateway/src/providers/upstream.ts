import type { OpenAiError, Route } from '@sluice/contracts';
import type { TokenCounts } from '../usage/token-counts';

/**
 * What provider adapters speak: OpenAI's classic surface. Another dialect's call (Anthropic's
 * Messages) reaches a provider of another kind as one of these, translated.
 */
export type UpstreamOperation = 'chat' | 'completions' | 'embeddings';

/** One call to a provider, after authorization. `body` is the client's, owned by the call from here on. */
export interface UpstreamCall {
  op: UpstreamOperation;
  body: Record<string, unknown>;
  stream: boolean;
  requestId: string;
  route: Route;
  /** Aborts the upstream request, whatever stage it is in: the call's deadline. */
  signal?: AbortSignal;
}

/** What a provider answered, before the gateway reads the body. */
export interface UpstreamResponse {
  status: number;
  contentType: string;
  body: AsyncIterable<Buffer> | Iterable<Buffer>;
  /** Stops reading the upstream (the connection is closed, not returned to the pool). */
  abort(): void;
  /**
   * A translated answer's tokens as the adapter read them from the provider's own usage, where
   * the OpenAI shape the client gets loses some (Anthropic's cache writes): the final usage once it
   * came; before it, a stream's input and cache tokens as reported at its start, with no output;
   * null when none came. When set, the call is billed from this, never from the translated body.
   */
  reportedTokens?: () => TokenCounts | null;
}

/**
 * `held`: the upstream had the whole request and sent no answer until the headers deadline passed;
 * it read the prompt and may bill for it (usage/worst-case.ts heldBilled).
 */
export type UpstreamOutcome =
  | { ok: true; response: UpstreamResponse }
  | { ok: false; error: OpenAiError; held?: boolean };

export const isEventStream = (contentType: string): boolean => contentType.startsWith('text/event-stream');

/** A whole (non-streamed) answer, bounded: past `maxBytes` the upstream is cut off and this throws. */
export async function readBody(upstream: UpstreamResponse, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of upstream.body) {
    size += chunk.length;
    if (size > maxBytes) {
      upstream.abort();
      throw new Error('upstream response too large');
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}
