import { budgetPeriodAt, type RecordBudgetThresholdRequest } from '@sluice/contracts';
import { budgetCatchUp } from '../budget-period';
import { keyNotFound, type KeyEvent, type KeyState } from '../key';

export interface RecordBudgetThreshold {
  type: 'RecordBudgetThreshold';
  request: RecordBudgetThresholdRequest;
  now: Date;
}

/** How far policy's clock may run ahead of ours at a period boundary and still be believed. */
export const MAX_CLOCK_SKEW_MS = 60_000;

/**
 * Records that spend in the key's current budget period crossed a threshold, once per key, period
 * and threshold: policy may report the same crossing again (restart, retry), and a repeat decides
 * nothing. A report for another period than the current one (late, from before a reset) and one
 * for a threshold the key no longer has are ignored, as is any report on a revoked key or a key
 * without a budget: none of them is an error for the sender, who cannot act on it. If the report
 * opens a period whose reset is not recorded yet, the reset is recorded first.
 */
export function decideRecordBudgetThreshold(command: RecordBudgetThreshold, state: KeyState): KeyEvent[] {
  const { request, now } = command;
  if (state.status === 'none') throw keyNotFound(request.keyId);
  if (state.status === 'revoked') return [];
  const budget = state.settings.budget;
  if (!budget?.alertThresholds.includes(request.thresholdPercent)) return [];

  const reportedStart = Date.parse(request.periodStart);
  // A boundary policy has passed and we have not yet (clock skew) is still the current period.
  const at = Math.min(Math.max(now.getTime(), reportedStart), now.getTime() + MAX_CLOCK_SKEW_MS);
  const currentStart = budgetPeriodAt(Date.parse(state.createdAt), budget.period, at).start;
  if (currentStart !== reportedStart) return [];

  const { thresholdsPeriodStart, percents } = state.budgetPeriod;
  if (Date.parse(thresholdsPeriodStart) === currentStart && percents.includes(request.thresholdPercent)) return [];
  return [
    ...budgetCatchUp(state, at, now),
    {
      type: 'KeyBudgetThresholdReached',
      data: {
        keyId: request.keyId,
        thresholdPercent: request.thresholdPercent,
        periodStart: new Date(currentStart).toISOString(),
        spentUsd: request.spentUsd,
        maxUsd: request.maxUsd,
        reachedAt: now.toISOString(),
      },
    },
  ];
}
