import type { ServerResponse } from 'node:http';
import { GatewayErrors } from '../../errors/gateway-errors';
import type { UpstreamResponse } from '../../providers/upstream';
import type { GeneratedOutput } from '../../usage/generated-output';
import { cutIfUnread, drained, endStream } from '../../pipeline/stream-pace';
import { SseEventTooLarge } from '../../providers/sse-event-bound';
import { errorBody } from './error-body';
import { SseScanner } from './sse-scanner';

export interface RelayOptions {
  requestId: string;
  providerId: string;
  clientWantsUsage: boolean;
  /** performance.now() when the request arrived, for the time to first byte. */
  t0: number;
  /** How long to keep reading the upstream after the client left, so what it generated is billed. */
  drainAfterDisconnectMs: number;
  /** The longest a stream may last, whoever is still listening (or not reading). */
  maxDurationMs: number;
  /** The largest event the upstream may send; a larger one fails the call. */
  maxEventBytes: number;
  /** How long the client may leave what it was sent unread before it is cut. */
  clientStallMs: number;
  /**
   * Headers only known once the stream is over (its cost), sent as HTTP trailers: declared with
   * the headers, written after the last event. Clients that ignore trailers lose nothing.
   */
  trailerNames?: string[];
  /**
   * Called once, when the upstream has ended and before the stream's last bytes are written (also
   * when the client is gone): the call is finished there. Returns the trailers' values.
   */
  end(outcome: RelayOutcome): Promise<Record<string, string>>;
  /** Another dialect's stream (Anthropic's events): how it is read, ended and refused. Default: OpenAI's chat SSE. */
  dialect?: RelayDialect;
}

/** How a stream of another dialect goes through the relay. */
export interface RelayDialect {
  /** Splits the upstream's bytes into whole events and says what to forward (see SseScanner). */
  scanner: SseScanner;
  /** The stream's last bytes, written once the call is finished (OpenAI: `[DONE]`). */
  ending(upstreamFailed: boolean): Buffer;
  /** The JSON error answered (502) when the upstream fails before its first event. */
  brokenJson: string;
  /** Headers of its own on the stream (Anthropic's `request-id`). */
  headers?: Record<string, string>;
}

export interface RelayOutcome {
  usage: unknown;
  generated: GeneratedOutput;
  ttfbMs: number | null;
  clientGone: boolean;
  upstreamFailed: boolean;
  /** The upstream sent an event larger than the bound (the call failed as an upstream error). */
  eventTooLarge: boolean;
}

const DONE = Buffer.from('data: [DONE]\n\n');
const BROKEN_JSON = errorBody(GatewayErrors.upstreamBroken);
const BROKEN = Buffer.from(`data: ${BROKEN_JSON}\n\n`);

/**
 * Streams an upstream SSE answer to the client as it arrives. The status and headers go out with
 * the first event, so an upstream that fails before sending one still gets a JSON error with a 502;
 * after that, a failure is an SSE error event. If the client leaves, the upstream is drained
 * (bounded) so its usage chunk still arrives and what it generated is billed. A client that
 * leaves what it was sent unread for clientStallMs is cut; at the stream's deadline the upstream
 * is cut, and so is a client that is not reading. The call is finished (`end`) before the last event.
 */
export async function relaySse(
  res: ServerResponse,
  upstream: UpstreamResponse,
  opts: RelayOptions,
): Promise<RelayOutcome> {
  const scanner = opts.dialect?.scanner ?? new SseScanner(opts.clientWantsUsage, opts.maxEventBytes);
  const outcome: RelayOutcome = {
    usage: undefined,
    generated: scanner.generated,
    ttfbMs: null,
    clientGone: false,
    upstreamFailed: false,
    eventTooLarge: false,
  };
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
  // A client still holding back what it was sent after its stall bound or the deadline is cut.
  const cutUnreadClient = () => {
    if (cutIfUnread(res)) outcome.clientGone = true;
  };

  const startStream = () => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-request-id': opts.requestId,
      'x-sluice-provider': opts.providerId,
      ...opts.dialect?.headers,
      ...(opts.trailerNames ? { trailer: opts.trailerNames.join(', ') } : {}),
    });
    outcome.ttfbMs = performance.now() - opts.t0;
  };

  try {
    for await (const chunk of upstream.body) {
      const out = scanner.push(chunk);
      if (out !== null && !outcome.clientGone) {
        if (outcome.ttfbMs === null) startStream();
        if (!res.write(out)) {
          await drained(res, deadline.signal, opts.clientStallMs);
          cutUnreadClient();
        }
      }
    }
  } catch (err) {
    outcome.upstreamFailed = !outcome.clientGone;
    outcome.eventTooLarge = err instanceof SseEventTooLarge;
  }
  clearTimeout(drainTimer);
  clearTimeout(deadlineTimer);
  res.off('close', onClose);

  const tail = scanner.flush();
  outcome.usage = scanner.usage;
  const trailers = await opts.end(outcome);
  if (outcome.clientGone || res.destroyed) return outcome;
  if (outcome.ttfbMs === null && outcome.upstreamFailed && tail === null) {
    res
      .writeHead(502, { 'content-type': 'application/json', 'x-request-id': opts.requestId, ...opts.dialect?.headers })
      .end(opts.dialect?.brokenJson ?? BROKEN_JSON);
    return outcome;
  }
  if (outcome.ttfbMs === null) startStream();
  if (tail !== null) res.write(tail);
  // The scanner held back the upstream's [DONE]: the stream's last event leaves only now, after `end`.
  res.write(opts.dialect ? opts.dialect.ending(outcome.upstreamFailed) : outcome.upstreamFailed ? BROKEN : DONE);
  if (opts.trailerNames) res.addTrailers(trailers);
  if (endStream(res, deadline.signal.aborted, opts.clientStallMs)) outcome.clientGone = true;
  return outcome;
}
