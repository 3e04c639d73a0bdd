import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../edge/request-context';

export type HeaderValue = string | number | string[];

/**
 * A request on the gateway's port as the call pipeline and the dialects read it: Fastify's, or the
 * fast lane's (edge/fast-lane.ts) on the inference paths.
 */
export interface CallRequest {
  readonly raw: IncomingMessage;
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
  readonly body: unknown;
  readonly sluice: RequestContext;
}

/** The answer to a CallRequest: the part of Fastify's reply the gateway uses. */
export interface CallReply {
  readonly raw: ServerResponse;
  /** The answer was sent, or taken over (`hijack`) to be written on `raw`. */
  readonly sent: boolean;
  code(status: number): CallReply;
  header(name: string, value: HeaderValue): CallReply;
  headers(values: Record<string, HeaderValue>): CallReply;
  /** A Buffer or string as it is; anything else as JSON. */
  send(payload?: unknown): CallReply;
  /** The caller writes the answer on `raw` itself (a stream). */
  hijack(): CallReply;
}
