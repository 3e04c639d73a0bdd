import { costNanosOf, formatNanoUsd } from '@sluice/contracts';
import type { TokenCounts } from '../usage/token-counts';
import type { CallFacts } from '../usage/usage-message';

const COST = 'x-sluice-cost-usd';
const REMAINING = 'x-sluice-budget-remaining-usd';

/**
 * What a call cost, by the same formula and rounding as metering's record, and what is left of the
 * key's budget once it settles (its reservation released, its real cost charged). Headers on a JSON
 * answer, trailers on a stream. A route without a price (an older policy) reports nothing.
 */
export function costHeaders(call: CallFacts, tokens: TokenCounts): Record<string, string> {
  if (!call.route.price) return {};
  const cost = costNanosOf(tokens, call.route.price);
  const headers: Record<string, string> = { [COST]: formatNanoUsd(cost) };
  const { budgetRemainingNanos, reservedNanos } = call.limits ?? {};
  if (budgetRemainingNanos != null && reservedNanos != null) headers[REMAINING] = formatNanoUsd(Math.max(0, budgetRemainingNanos + reservedNanos - cost));
  return headers;
}

export const costHeaderNames = (call: CallFacts): string[] => (call.limits?.budgetRemainingNanos != null ? [COST, REMAINING] : [COST]);
