import type { RateLimits } from '@sluice/contracts';
import type { BudgetLedger } from './budget-ledger';
import type { KeyCounters } from './key-counters';

/** How many more calls like the one just admitted must still fit, with it held, for its settlement's timing not to matter. */
export const HEADROOM_CALLS = 4;

/**
 * Whether the client's next call could be refused because the call just admitted still holds its
 * worst case: with it held, the budget, the tokens per minute or the parallel slots left are fewer
 * than HEADROOM_CALLS calls like it. Then the gateway has NATS confirm the call's settlement before
 * the client has its answer (`AllowedLimits.confirmSettlement`). Further from every limit, which of
 * two messages sent a fraction of a millisecond apart reaches policy first changes no decision, and
 * the confirmation's round trip is not worth its ~0.5 ms per call. Request windows are not among
 * them: a settlement gives no request back.
 */
export function nearLimit(
  limits: RateLimits | null,
  counters: KeyCounters,
  ledger: BudgetLedger | null,
  held: { tokens: number; reservedNanos: number },
  now: number,
): boolean {
  if (limits?.maxParallelRequests && limits.maxParallelRequests - counters.inFlight < HEADROOM_CALLS) return true;
  if (
    limits?.tokensPerMinute &&
    limits.tokensPerMinute - counters.window('tokensPerMinute').used(now) < HEADROOM_CALLS * held.tokens
  )
    return true;
  return ledger !== null && ledger.remaining() < HEADROOM_CALLS * held.reservedNanos;
}
