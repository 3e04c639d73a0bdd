import { costNanosOf, usageTokenFields, worstCaseTokens, type UsageMessage } from '@sluice/contracts';
import type { Reservation } from './admission';
import type { Limiter } from './limiter';

/**
 * The usage message for a call that was admitted but never reported back within the reservation
 * TTL (its gateway died, or the call is still running: a client that stopped reading a stream, an
 * upstream that trickles bytes): charged at its reserved worst case, flagged `estimated` and
 * `swept`. It goes through the usage stream like any other, so metering records it once and policy
 * settles the reservation when it comes back. Its message id is its own (sweptMessageId): if the
 * call's real report arrives after all, it is not dropped as a duplicate but corrects the sweep's
 * charge, in policy and in metering, to the real cost.
 */
export function sweptUsage(r: Reservation, now: number): UsageMessage {
  const tokens = worstCaseTokens(r.worstCase, r.price);
  return {
    requestId: r.callId,
    keyId: r.keyId,
    model: r.call.model,
    upstreamModel: r.call.upstreamModel,
    providerId: r.call.providerId,
    operation: r.call.operation,
    stream: false,
    status: 0,
    ...usageTokenFields(tokens),
    reasoningTokens: 0,
    estimated: true,
    swept: true,
    latencyMs: now - r.admittedAt,
    ttfbMs: null,
    clientIp: r.call.clientIp,
    startedAt: new Date(r.admittedAt).toISOString(),
    clientRequestId: null,
    costNanos: costNanosOf(tokens, r.price),
  };
}

export const sweptMessageId = (callId: string): string => `${callId}.swept`;

export async function sweepReservations(
  limiter: Limiter,
  now: number,
  ttlMs: number,
  publish: (usage: UsageMessage) => Promise<void>,
): Promise<number> {
  const due = limiter.expired(now, ttlMs);
  await Promise.all(
    due.map(async (r) => {
      try {
        await publish(sweptUsage(r, now));
      } catch {
        r.sweeping = false; // tried again on the next sweep
      }
    }),
  );
  return due.length;
}
