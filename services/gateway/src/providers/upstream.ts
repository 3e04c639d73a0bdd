import type { OpenAiError, Operation, Route } from '@sluice/contracts';

/** One call to a provider, after authorization. `body` is the client's, owned by the call from here on. */
export interface UpstreamCall {
  op: Operation;
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
}

/**
 * `held`: the upstream had the whole request and sent no answer until the headers deadline passed;
 * it read the prompt and may bill for it (usage/worst-case.ts heldBilled).
 */
export type UpstreamOutcome = { ok: true; response: UpstreamResponse } | { ok: false; error: OpenAiError; held?: boolean };

export const isEventStream = (contentType: string): boolean => contentType.startsWith('text/event-stream');
