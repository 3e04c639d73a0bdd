import { budgetPeriodAt } from '@sluice/contracts';
import type { KeyEvent, KeyFacts } from './key';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The KeyBudgetReset that brings the key's recorded period up to the one containing `atMs`, by the
 * shared arithmetic policy also uses (periods anchored at the key's creation). One event however
 * many periods passed: spend restarts from zero once, in the current period. None without a
 * periodic budget, or when the recorded period is already current (or later: after a PATCH to a
 * longer period, the recorded start stays until the new period's next boundary passes it).
 */
export function budgetCatchUp(key: KeyFacts, atMs: number, now: Date): Extract<KeyEvent, { type: 'KeyBudgetReset' }>[] {
  const period = key.settings.budget?.period ?? null;
  if (period === null) return [];
  const current = budgetPeriodAt(Date.parse(key.createdAt), period, atMs);
  if (current.start <= Date.parse(key.budgetPeriod.start)) return [];
  return [
    {
      type: 'KeyBudgetReset',
      data: {
        keyId: key.keyId,
        previousPeriodStart: key.budgetPeriod.start,
        periodStart: iso(current.start),
        resetsAt: current.end === null ? null : iso(current.end),
        resetAt: now.toISOString(),
      },
    },
  ];
}
