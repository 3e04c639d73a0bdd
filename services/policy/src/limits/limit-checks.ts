import { callTokens, formatNanoUsd, worstCaseNanosOf, type OpenAiError, type RateLimits } from '@sluice/contracts';
import type { KeyPolicy } from '../keys/key-table';
import type { BudgetLedger } from './budget-ledger';
import { countedTokens, REQUEST_WINDOWS, tokenKindsOf, type KeyCounters } from './key-counters';
import { LimitRefusals } from './limit-refusals';
import { shownRemaining } from './leases';
import type { Ask } from './admission';
import { rateLimitHeaders, retryAfterHeaders } from './rate-limit-headers';

/** What a call that fits every limit holds once admitted, or the refusal of the first limit it does not fit. */
export type LimitCheck =
  | {
      ok: true;
      /** What it adds to the tokens-per-minute window. */
      tokens: number;
      worstCase: { inputTokens: number; outputTokens: number };
      reservedNanos: number;
      ledger: BudgetLedger | null;
    }
  | { ok: false; error: OpenAiError; headers: Record<string, string> };

/** `x-ratelimit-*` as the key's calls use it (leases.ts: what a lease holds and no call took is not shown). */
export const limitHeadersOf = (c: KeyCounters, limits: RateLimits | null, now: number): Record<string, string> =>
  rateLimitHeaders(
    c.tightestRequests(limits, now),
    limits?.tokensPerMinute ? c.reading('tokensPerMinute', limits.tokensPerMinute, now) : null,
  );

/**
 * The limits in order — parallel calls, request windows, tokens per minute, budget — against the
 * key's counters; reads them, moves nothing.
 */
export function checkLimits(key: KeyPolicy, c: KeyCounters, ask: Ask, now: number): LimitCheck {
  const limits = key.rateLimits;
  const headersNow = () => limitHeadersOf(c, limits, now);

  if (limits?.maxParallelRequests && c.inFlight >= limits.maxParallelRequests) {
    return {
      ok: false,
      error: LimitRefusals.parallel(limits.maxParallelRequests),
      headers: { ...headersNow(), ...retryAfterHeaders(1000) },
    };
  }
  for (const rule of REQUEST_WINDOWS) {
    const limit = limits?.[rule];
    if (!limit) continue;
    const window = c.window(rule);
    const used = window.used(now);
    if (used + 1 > limit) {
      const wait = window.msUntilFreed(now, used + 1 - limit);
      return {
        ok: false,
        error: LimitRefusals.window(rule, limit, used, 1, wait),
        headers: { ...headersNow(), ...retryAfterHeaders(wait) },
      };
    }
  }
  const call = callTokens(ask.operation, ask.estimate, ask.model);
  // Tokens per minute count the prompt estimate and the whole output cap of every choice (as
  // OpenAI counts max_tokens), so calls in flight can never take a minute past the limit.
  const tokens = countedTokens(tokenKindsOf(limits), call.inputEstimate, call.outputBound);
  if (limits?.tokensPerMinute) {
    const window = c.window('tokensPerMinute');
    if (tokens > limits.tokensPerMinute)
      return { ok: false, error: LimitRefusals.tooLarge(limits.tokensPerMinute, tokens), headers: headersNow() };
    const used = window.used(now);
    if (used + tokens > limits.tokensPerMinute) {
      const wait = window.msUntilFreed(now, used + tokens - limits.tokensPerMinute);
      return {
        ok: false,
        error: LimitRefusals.window('tokensPerMinute', limits.tokensPerMinute, used, tokens, wait),
        headers: { ...headersNow(), ...retryAfterHeaders(wait) },
      };
    }
  }
  const ledger = c.ledger(key, now);
  const worstCase = { inputTokens: call.inputBound, outputTokens: call.outputBound };
  const reservedNanos = ledger ? worstCaseNanosOf(worstCase, ask.model.price) : 0;
  if (ledger && key.budget && !ledger.fits(reservedNanos)) {
    const error = LimitRefusals.budget({
      maxNanos: ledger.maxNanos,
      period: key.budget.period,
      spentNanos: ledger.spent,
      reservedNanos: ledger.reserved,
      costUpToNanos: reservedNanos,
      resetsAt: ledger.periodEnd,
    });
    const headers: Record<string, string> = {
      ...headersNow(),
      'x-sluice-budget-remaining-usd': formatNanoUsd(shownRemaining(c, ledger)),
    };
    if (ledger.periodEnd !== null) Object.assign(headers, retryAfterHeaders(ledger.periodEnd - now));
    return { ok: false, error, headers };
  }
  return { ok: true, tokens, worstCase, reservedNanos, ledger };
}
