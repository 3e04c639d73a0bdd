import { budgetPeriodAt, type BudgetSettings, type KeyLimitState, type KeyView } from '@sluice/contracts';

/** What the keys_view read model holds of a key's budget. */
export interface StoredBudget {
  settings: BudgetSettings | null;
  createdAt: Date;
  /** The period the recorded thresholds belong to (moved on by `KeyBudgetReset`). */
  periodStart: Date | null;
  thresholdsReached: number[] | null;
}

/**
 * The budget from the read model alone: its settings and the current period (arithmetic on the
 * key's creation time, as policy does it). Spend, reservations and what remains only policy
 * knows; they are added by `withLiveState`.
 */
export function storedBudgetView(stored: StoredBudget, now: Date): KeyView['budget'] {
  if (!stored.settings) return null;
  const { start, end } = budgetPeriodAt(stored.createdAt.getTime(), stored.settings.period, now.getTime());
  const recordedForThisPeriod = stored.periodStart?.getTime() === start;
  return {
    ...stored.settings,
    anchor: 'key-created',
    periodStart: new Date(start).toISOString(),
    resetsAt: end === null ? null : new Date(end).toISOString(),
    thresholdsReached: recordedForThisPeriod ? [...(stored.thresholdsReached ?? [])] : [],
  };
}

/**
 * Adds policy's live state to a key read from the read model. Settings stay the read model's
 * (the source of truth); a key policy did not report, or whose budget policy does not know yet,
 * keeps what the read model says.
 */
export function withLiveState(view: KeyView, live: KeyLimitState | undefined): KeyView {
  if (!live) return view;
  const budget =
    view.budget && live.budget
      ? {
          ...view.budget,
          periodStart: live.budget.periodStart,
          ...(live.budget.countsFrom ? { countsFrom: live.budget.countsFrom } : {}),
          resetsAt: live.budget.resetsAt,
          spentUsd: live.budget.spentUsd,
          reservedUsd: live.budget.reservedUsd,
          remainingUsd: live.budget.remainingUsd,
          thresholdsReached: live.budget.thresholdsReached,
        }
      : view.budget;
  return { ...view, budget, rateLimitState: live.rateLimits };
}
