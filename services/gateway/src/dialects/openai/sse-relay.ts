import type { ServerResponse } from 'node:http';
import { relayEvents, type EventRelayOptions, type EventRelayOutcome } from '../../pipeline/event-relay';
import { GatewayErrors } from '../../errors/gateway-errors';
import type { UpstreamResponse } from '../../providers/upstream';
import type { GeneratedOutput } from '../../usage/generated-output';
import { errorBody } from './error-body';
import { SseScanner } from './sse-scanner';

export interface RelayOptions extends Omit<EventRelayOptions, 'end' | 'headers' | 'brokenJson'> {
  clientWantsUsage: boolean;
  /** The largest event the upstream may send; a larger one fails the call. */
  maxEventBytes: number;
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

export interface RelayOutcome extends EventRelayOutcome {
  usage: unknown;
  generated: GeneratedOutput;
}

const DONE = Buffer.from('data: [DONE]\n\n');
const BROKEN = Buffer.from(`data: ${errorBody(GatewayErrors.upstreamBroken)}\n\n`);

/**
 * Streams an upstream's chat SSE (or Anthropic's events) to the client as it arrives: the event
 * relay (pipeline/event-relay.ts) reading the upstream with an SSE scanner, which holds back the
 * upstream's `[DONE]` and reads the usage on the way. The call is finished (`end`) with that usage
 * and the text generated, before the stream's last event: `[DONE]`, or the error event of a stream
 * that broke.
 */
export async function relaySse(
  res: ServerResponse,
  upstream: UpstreamResponse,
  opts: RelayOptions,
): Promise<RelayOutcome> {
  const { clientWantsUsage, maxEventBytes, end, dialect, ...stream } = opts;
  const scanner = dialect?.scanner ?? new SseScanner(clientWantsUsage, maxEventBytes);
  let relayed: RelayOutcome | undefined;
  const outcome = await relayEvents(res, upstream, scanner, {
    ...stream,
    headers: dialect?.headers,
    brokenJson: dialect?.brokenJson,
    end: async (events) => {
      // The same object the relay goes on updating (a client cut at the end is still seen).
      relayed = Object.assign(events, { usage: scanner.usage, generated: scanner.generated });
      const trailers = await end(relayed);
      const last = dialect ? dialect.ending(events.upstreamFailed) : events.upstreamFailed ? BROKEN : DONE;
      return { last, trailers };
    },
  });
  return relayed ?? Object.assign(outcome, { usage: scanner.usage, generated: scanner.generated });
}
