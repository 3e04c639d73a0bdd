import { formatNanoUsd } from '@sluice/contracts';
import type { CallFacts } from '../usage/usage-message';

const COST = 'x-sluice-cost-usd';
const REMAINING = 'x-sluice-budget-remaining-usd';

/**
 * What a call cost — the very number its usage message carries to policy and metering — and what
 * is left of the key's budget once it settles (its reservation released, its real cost charged).
 * Headers on a JSON answer, trailers on a stream. A route without a price (an older policy)
 * reports nothing.
 */
export function costHeaders(call: CallFacts, costNanos: number | undefined): Record<string, string> {
  if (costNanos === undefined) return {};
  const headers: Record<string, string> = { [COST]: formatNanoUsd(costNanos) };
  const { budgetRemainingNanos, reservedNanos } = call.limits ?? {};
  if (budgetRemainingNanos != null && reservedNanos != null)
    headers[REMAINING] = formatNanoUsd(Math.max(0, budgetRemainingNanos + reservedNanos - costNanos));
  return headers;
}

export const costHeaderNames = (call: CallFacts): string[] =>
  call.limits?.budgetRemainingNanos != null ? [COST, REMAINING] : [COST];
