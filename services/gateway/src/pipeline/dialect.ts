import type { CallReply, CallRequest } from './exchange';
import type { CallEstimate, OpenAiError, Operation, UsageMessage } from '@sluice/contracts';
import type { CallFacts, FinishCall } from '../usage/usage-message';
import type { CallDeadline } from './call-deadline';

/** A request of one dialect that passed its edge checks, with what the pipeline needs read once. */
export interface DialectRequest {
  model: string;
  stream: boolean;
  /** The body as the client sent it (parsed), in the dialect's own shape. */
  body: Record<string, unknown>;
  /** What authorize counts and reserves: the prompt's estimate and bound, the output cap, the choices. */
  estimate: CallEstimate;
  /** The caller's own end-user id (OpenAI's `user`, Anthropic's `metadata.user_id` …) and the field it came from. */
  user: { value: string | null; param: string };
}

export type Parsed<R extends DialectRequest> = { ok: true; request: R } | { ok: false; error: OpenAiError };

/**
 * How a dialect writes an error. Errors travel inside the gateway (and from policy) in one shape,
 * OpenAI's status/type/code; each dialect renders them in its own wire format, in one place.
 */
export interface ErrorShape {
  sendError(reply: CallReply, requestId: string, error: OpenAiError): void;
  /** A key's rate-limit headers, as policy computed them (OpenAI's names), in this dialect's names. */
  limitHeaders(headers: Record<string, string>): Record<string, string>;
}

/**
 * One API dialect over the shared call pipeline: it parses its requests and, once the call is
 * authorized and routed, exchanges it with the upstream — natively where the route's provider
 * speaks the dialect, through a bridge where it does not — answering the client in its own format.
 */
export interface Dialect<R extends DialectRequest = DialectRequest> extends ErrorShape {
  parse(op: Operation, raw: Buffer | undefined, req: CallRequest): Parsed<R>;
  /**
   * Resolves what the request refers to before it is authorized (a stored conversation it
   * continues, which its estimate must count); most requests need nothing and resolve at once.
   */
  prepare?(request: R, req: CallRequest): Promise<Parsed<R>>;
  /**
   * Opens the call on the route's provider, answers the client, and finishes the call through
   * `finish` exactly once, before the response's last bytes; returns the finished call's usage.
   * The call's deadline is the pipeline's; a stream clears it once it flows.
   */
  serve(
    call: CallFacts,
    request: R,
    reply: CallReply,
    finish: FinishCall,
    deadline: CallDeadline,
  ): Promise<UsageMessage>;
}
