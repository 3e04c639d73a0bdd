import type { CallReply } from '../../pipeline/exchange';
import type { UsageMessage } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import { GatewayErrors } from '../../errors/gateway-errors';
import { costHeaders } from '../../pipeline/cost-headers';
import { streamOf } from '../../pipeline/event-relay';
import { eventTooLargeLog } from '../../providers/sse-event-bound';
import type { UpstreamResponse } from '../../providers/upstream';
import type { TokenCounts } from '../../usage/token-counts';
import type { CallFacts, FinishCall } from '../../usage/usage-message';
import type { InferenceLimits } from '../openai/openai-dialect';
import { relaySse, type RelayOutcome } from '../openai/sse-relay';
import type { SseScanner } from '../openai/sse-scanner';
import { anthropicErrorBody } from './anthropic-errors';

/**
 * What differs between a passthrough's stream and a translation's: how it is read, what the call comes to, how it ends.
 */
export interface MessagesStream {
  scanner: SseScanner;
  /** The call's outcome from what was relayed: its status and the tokens to bill. */
  settle(relayed: RelayOutcome): { status: number; tokens: TokenCounts; estimated: boolean };
  /**
   * The stream's last bytes, once the call is finished (`usage`); `broken` is the error event of a stream that broke.
   */
  ending(upstreamFailed: boolean, usage: UsageMessage | undefined, broken: string): Buffer;
}

/**
 * A Messages stream through the relay: Anthropic's events to the client as they come, the call
 * finished (priced, settled) before the stream's last bytes, its cost as trailers; a stream that
 * breaks before its first event is a JSON 502, after it an `error` event.
 */
export async function relayMessages(
  reply: CallReply,
  upstream: UpstreamResponse,
  call: CallFacts,
  limits: InferenceLimits,
  logger: Logger,
  finish: FinishCall,
  stream: MessagesStream,
): Promise<UsageMessage> {
  reply.hijack();
  const brokenJson = anthropicErrorBody(GatewayErrors.upstreamBroken, call.requestId);
  const broken = `event: error\ndata: ${brokenJson}\n\n`;
  let usage: UsageMessage | undefined;
  await relaySse(reply.raw, upstream, {
    ...streamOf(call, limits),
    clientWantsUsage: true,
    maxEventBytes: limits.maxSseEventBytes,
    dialect: {
      scanner: stream.scanner,
      headers: { 'request-id': call.requestId },
      brokenJson,
      ending: (upstreamFailed) => stream.ending(upstreamFailed, usage, broken),
    },
    end: async (relayed) => {
      const { status, ...settled } = stream.settle(relayed);
      if (status !== 200)
        logger.warn(
          { requestId: call.requestId, providerId: call.route.providerId },
          relayed.eventTooLarge ? eventTooLargeLog(limits.maxSseEventBytes) : 'upstream stream broke after it began',
        );
      usage = await finish({ status, ...settled, ttfbMs: relayed.ttfbMs });
      return costHeaders(call, usage.costNanos);
    },
  });
  return usage!;
}
