import {
  usdOfNanos,
  type BudgetState,
  type KeyLimitState,
  type LimitWindowState,
  type RateLimitState,
} from '@sluice/contracts';
import type { KeyPolicy } from '../keys/key-table';
import { tokenKindsOf } from '../limits/key-counters';
import type { WindowRule } from '../limits/limit-refusals';
import type { Limiter } from '../limits/limiter';
import { shownRemaining, shownReserved } from '../limits/leases';

/** What policy holds for a key right now: each limit's window and the budget's period. */
export function keyLimitState(key: KeyPolicy, limiter: Limiter, now: number): KeyLimitState {
  const limits = key.rateLimits;
  const rateLimits: RateLimitState = {};
  if (limits) {
    const c = limiter.counters(key.keyId);
    const inFlightTokens = reservedTokensOf(limiter, key.keyId);
    // As the key's calls use it: what live leases hold and no call took yet is not shown (leases.ts).
    const unspent = c.unspent();
    const inFlight = Math.max(0, c.inFlight - unspent.slots);
    const windowState = (rule: WindowRule, limit: number, inFlight: number): LimitWindowState => {
      const window = c.window(rule);
      const used = c.shownUsed(rule, now);
      return {
        limit,
        used,
        inFlight,
        remaining: Math.max(0, limit - used),
        resetsInMs: used >= limit ? window.msUntilFreed(now, used + 1 - limit) : 0,
      };
    };
    if (limits.requestsPerMinute)
      rateLimits.requestsPerMinute = windowState('requestsPerMinute', limits.requestsPerMinute, inFlight);
    if (limits.requestsPerHour)
      rateLimits.requestsPerHour = windowState('requestsPerHour', limits.requestsPerHour, inFlight);
    if (limits.requestsPerDay)
      rateLimits.requestsPerDay = windowState('requestsPerDay', limits.requestsPerDay, inFlight);
    if (limits.tokensPerMinute)
      rateLimits.tokensPerMinute = {
        ...windowState('tokensPerMinute', limits.tokensPerMinute, inFlightTokens),
        tokenKinds: tokenKindsOf(limits),
      };
    if (limits.maxParallelRequests) rateLimits.maxParallelRequests = { limit: limits.maxParallelRequests, inFlight };
  }
  return { keyId: key.keyId, rateLimits, budget: budgetState(key, limiter, now) };
}

function budgetState(key: KeyPolicy, limiter: Limiter, now: number): BudgetState | null {
  if (!key.budget) return null;
  const c = limiter.counters(key.keyId);
  const ledger = c.ledger(key, now);
  if (!ledger) return null;
  return {
    maxUsd: key.budget.maxUsd,
    period: key.budget.period,
    anchor: 'key-created',
    periodStart: new Date(ledger.periodStart).toISOString(),
    countsFrom: new Date(ledger.countsFrom).toISOString(),
    resetsAt: ledger.periodEnd === null ? null : new Date(ledger.periodEnd).toISOString(),
    spentUsd: usdOfNanos(ledger.spent),
    reservedUsd: usdOfNanos(shownReserved(c, ledger)),
    remainingUsd: usdOfNanos(shownRemaining(c, ledger)),
    alertThresholds: key.budget.alertThresholds,
    thresholdsReached: [...ledger.reached].sort((a, b) => a - b),
    webhookUrlHint: key.budget.webhookUrlHint,
  };
}

function reservedTokensOf(limiter: Limiter, keyId: string): number {
  let tokens = 0;
  for (const lease of limiter.counters(keyId).leases) tokens += lease.runningTokens;
  for (const r of limiter.reservations.values()) if (r.keyId === keyId) tokens += r.tokens;
  return tokens;
}
