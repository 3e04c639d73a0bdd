import type { ServerResponse } from 'node:http';
import { errorBody } from '../dialects/openai/error-body';
import { GatewayErrors } from '../errors/gateway-errors';
import { SseEventTooLarge } from '../providers/sse-event-bound';
import type { UpstreamResponse } from '../providers/upstream';
import type { CallFacts } from '../usage/usage-message';
import { costHeaderNames } from './cost-headers';
import { cutIfUnread, drained, endStream } from './stream-pace';

/**
 * Turns an upstream's bytes into the client's events: the upstream's own passed through (a
 * native Responses stream) or built from another dialect's (chat chunks bridged to Responses).
 */
export interface EventSource {
  /** The client's bytes for this upstream chunk: whole events only; null when there are none yet. */
  push(chunk: Buffer): Buffer | string | null;
  /** At the upstream's end: whatever is still owed before the last event (a partial event, items to close). */
  flush(): Buffer | string | null;
}

export interface EventRelayOptions {
  requestId: string;
  providerId: string;
  t0: number;
  /** How long to keep reading the upstream after the client left, so what it generated is billed. */
  drainAfterDisconnectMs: number;
  /** The longest a stream may last, whoever is still listening (or not reading). */
  maxDurationMs: number;
  /** How long the client may leave what it was sent unread before it is cut. */
  clientStallMs: number;
  trailerNames?: string[];
  /** Headers of the dialect's own on the stream and on its 502 (Anthropic's `request-id`). */
  headers?: Record<string, string>;
  /** The JSON error answered (502) when the upstream fails before its first event; default: OpenAI's. */
  brokenJson?: string;
  /**
   * Called once, when the upstream has ended (also when the client is gone): the call is finished
   * there (and a response stored). Returns the stream's last event (`response.completed`, or what
   * says it failed) and the trailers' values; they leave only then.
   */
  end(outcome: EventRelayOutcome): Promise<{ last: string | Buffer; trailers: Record<string, string> }>;
}

export interface EventRelayOutcome {
  ttfbMs: number | null;
  clientGone: boolean;
  upstreamFailed: boolean;
  /** The upstream sent an event larger than the bound (the call failed as an upstream error). */
  eventTooLarge: boolean;
}

const BROKEN_JSON = errorBody(GatewayErrors.upstreamBroken);

/** The options every stream of a call shares: its ids, its start, the gateway's stream bounds, its cost trailers. */
export function streamOf(
  call: CallFacts,
  limits: { drainAfterDisconnectMs: number; maxStreamMs: number; clientStallMs: number },
): Omit<EventRelayOptions, 'end'> {
  return {
    requestId: call.requestId,
    providerId: call.route.providerId,
    t0: call.t0,
    drainAfterDisconnectMs: limits.drainAfterDisconnectMs,
    maxDurationMs: limits.maxStreamMs,
    clientStallMs: limits.clientStallMs,
    trailerNames: call.route.price && costHeaderNames(call),
  };
}

/**
 * Streams an answer as the upstream produces it, in every dialect (the chat and Messages relay,
 * sse-relay.ts, is this one with a chat SSE scanner). Status and headers go out with the first
 * event, so an upstream that fails before one still gets a JSON 502; a client that leaves has the
 * upstream drained (bounded) so what it generated is billed; a client that leaves what it was sent
 * unread for clientStallMs is cut; at the stream's deadline the upstream is cut, and so is a client
 * that is not reading. An event past the source's bound fails the stream; the last event waits for `end`.
 */
export async function relayEvents(
  res: ServerResponse,
  upstream: UpstreamResponse,
  source: EventSource,
  opts: EventRelayOptions,
): Promise<EventRelayOutcome> {
  const outcome: EventRelayOutcome = { ttfbMs: null, clientGone: false, upstreamFailed: false, eventTooLarge: false };
  let drainTimer: NodeJS.Timeout | undefined;
  const onClose = () => {
    if (res.writableEnded) return;
    outcome.clientGone = true;
    drainTimer = setTimeout(() => upstream.abort(), opts.drainAfterDisconnectMs);
  };
  if (res.destroyed) onClose();
  else res.on('close', onClose);
  const deadline = new AbortController();
  const deadlineTimer = setTimeout(() => {
    deadline.abort();
    upstream.abort();
  }, opts.maxDurationMs);
  const startStream = () => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-request-id': opts.requestId,
      'x-sluice-provider': opts.providerId,
      ...opts.headers,
      ...(opts.trailerNames ? { trailer: opts.trailerNames.join(', ') } : {}),
    });
    outcome.ttfbMs = performance.now() - opts.t0;
  };
  const write = async (out: string | Buffer) => {
    if (outcome.ttfbMs === null) startStream();
    if (res.write(out)) return;
    await drained(res, deadline.signal, opts.clientStallMs);
    if (cutIfUnread(res)) outcome.clientGone = true;
  };

  try {
    for await (const chunk of upstream.body) {
      const out = source.push(chunk);
      if (out !== null && !outcome.clientGone) await write(out);
    }
  } catch (err) {
    outcome.upstreamFailed = !outcome.clientGone;
    outcome.eventTooLarge = err instanceof SseEventTooLarge;
  }
  clearTimeout(drainTimer);
  clearTimeout(deadlineTimer);
  res.off('close', onClose);

  const tail = source.flush();
  const started = outcome.ttfbMs !== null;
  const { last, trailers } = await opts.end(outcome);
  if (outcome.clientGone || res.destroyed) return outcome;
  if (!started && outcome.upstreamFailed && tail === null) {
    res
      .writeHead(502, { 'content-type': 'application/json', 'x-request-id': opts.requestId, ...opts.headers })
      .end(opts.brokenJson ?? BROKEN_JSON);
    return outcome;
  }
  if (outcome.ttfbMs === null) startStream();
  if (tail !== null) res.write(tail);
  res.write(last);
  if (opts.trailerNames) res.addTrailers(trailers);
  if (endStream(res, deadline.signal.aborted, opts.clientStallMs)) outcome.clientGone = true;
  return outcome;
}
