import type { ServerResponse } from 'node:http';
import { errorBody } from '../dialects/openai/error-body';
import { GatewayErrors } from '../errors/gateway-errors';
import type { UpstreamResponse } from '../providers/upstream';
import type { CallFacts } from '../usage/usage-message';
import { costHeaderNames } from './cost-headers';

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
  drainAfterDisconnectMs: number;
  maxDurationMs: number;
  trailerNames?: string[];
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
}

const BROKEN_JSON = errorBody(GatewayErrors.upstreamBroken);

/** The options every stream of a call shares: its ids, its start, the gateway's stream bounds, its cost trailers. */
export function streamOf(
  call: CallFacts,
  limits: { drainAfterDisconnectMs: number; maxStreamMs: number },
): Omit<EventRelayOptions, 'end'> {
  return {
    requestId: call.requestId,
    providerId: call.route.providerId,
    t0: call.t0,
    drainAfterDisconnectMs: limits.drainAfterDisconnectMs,
    maxDurationMs: limits.maxStreamMs,
    trailerNames: call.route.price && costHeaderNames(call),
  };
}

/**
 * Streams an answer as the upstream produces it (the same contract as the chat relay, sse-relay.ts,
 * which can be written over this one). Status and headers go out with the first
 * event, so an upstream that fails before one still gets a JSON 502; a client that leaves has the
 * upstream drained (bounded) so what it generated is billed; the last event waits for `end`.
 */
export async function relayEvents(
  res: ServerResponse,
  upstream: UpstreamResponse,
  source: EventSource,
  opts: EventRelayOptions,
): Promise<EventRelayOutcome> {
  const outcome: EventRelayOutcome = { ttfbMs: null, clientGone: false, upstreamFailed: false };
  let drainTimer: NodeJS.Timeout | undefined;
  const onClose = () => {
    if (res.writableEnded) return;
    outcome.clientGone = true;
    drainTimer = setTimeout(() => upstream.abort(), opts.drainAfterDisconnectMs);
  };
  if (res.destroyed) onClose();
  else res.on('close', onClose);
  const deadline = setTimeout(() => upstream.abort(), opts.maxDurationMs);
  const startStream = () => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-request-id': opts.requestId,
      'x-sluice-provider': opts.providerId,
      ...(opts.trailerNames ? { trailer: opts.trailerNames.join(', ') } : {}),
    });
    outcome.ttfbMs = performance.now() - opts.t0;
  };
  const write = async (out: string | Buffer) => {
    if (outcome.ttfbMs === null) startStream();
    if (!res.write(out)) await drained(res);
  };

  try {
    for await (const chunk of upstream.body) {
      const out = source.push(chunk);
      if (out !== null && !outcome.clientGone) await write(out);
    }
  } catch {
    outcome.upstreamFailed = !outcome.clientGone;
  }
  clearTimeout(drainTimer);
  clearTimeout(deadline);
  res.off('close', onClose);

  const tail = source.flush();
  const started = outcome.ttfbMs !== null;
  const { last, trailers } = await opts.end(outcome);
  if (outcome.clientGone || res.destroyed) return outcome;
  if (!started && outcome.upstreamFailed && tail === null) {
    res.writeHead(502, { 'content-type': 'application/json', 'x-request-id': opts.requestId }).end(BROKEN_JSON);
    return outcome;
  }
  if (tail !== null) await write(tail);
  await write(last);
  if (opts.trailerNames) res.addTrailers(trailers);
  res.end();
  return outcome;
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
