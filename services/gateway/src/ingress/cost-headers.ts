import { costOf, formatUsd } from '@sluice/contracts';
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
  const cost = costOf(tokens, call.route.price);
  const headers: Record<string, string> = { [COST]: formatUsd(cost) };
  const { budgetRemainingUsd, reservedUsd } = call.limits ?? {};
  if (budgetRemainingUsd != null && reservedUsd != null) headers[REMAINING] = formatUsd(Math.max(0, budgetRemainingUsd + reservedUsd - cost));
  return headers;
}

export const costHeaderNames = (call: CallFacts): string[] => (call.limits?.budgetRemainingUsd != null ? [COST, REMAINING] : [COST]);
