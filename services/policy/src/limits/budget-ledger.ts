import { budgetPeriodAt, type BudgetSettings } from '@sluice/contracts';

// Money compares with a tolerance far below a cent's millionth, so float sums of exact prices never refuse the last call.
const EPSILON_USD = 1e-9;

/**
 * One key's budget in its current period: spent (settled calls that started in the period) and
 * reserved (the worst case of calls admitted and not settled yet). A call is admitted only when
 * spent + reserved + its own worst case fit the budget, so concurrent calls cannot overspend it.
 */
export class BudgetLedger {
  spent = 0;
  reserved = 0;
  /** Thresholds (percent) reached in the current period: recorded ones and ones just crossed. */
  readonly reached = new Set<number>();
  periodStart: number;
  periodEnd: number | null;
  /** The period setting the current period was computed from. */
  #period: string | null;

  constructor(createdAt: number, settings: BudgetSettings, now: number) {
    const period = budgetPeriodAt(createdAt, settings.period, now);
    this.periodStart = period.start;
    this.periodEnd = period.end;
    this.#period = settings.period;
  }

  /**
   * Moves to the period that contains `now`; spend starts from zero in a new period, reservations
   * stay. When an admin changed the period's length, the current period becomes the new setting's
   * (anchored at the key's creation) and the spend counted so far is kept: it may include calls
   * from before the new start or miss some after it until the next reset or restart, which sums
   * the records again (documented in docs/limits.md).
   */
  roll(createdAt: number, settings: BudgetSettings, now: number): void {
    const period = budgetPeriodAt(createdAt, settings.period, now);
    if (settings.period !== this.#period) {
      this.#period = settings.period;
      this.periodStart = period.start;
      this.periodEnd = period.end;
      return;
    }
    this.periodEnd = period.end;
    if (period.start <= this.periodStart) return;
    this.periodStart = period.start;
    this.spent = 0;
    this.reached.clear();
  }

  fits(settings: BudgetSettings, worstCaseUsd: number): boolean {
    return this.spent + this.reserved + worstCaseUsd <= settings.maxUsd + EPSILON_USD;
  }

  remaining(settings: BudgetSettings): number {
    return Math.max(0, settings.maxUsd - this.spent - this.reserved);
  }

  /** Adds a settled call's cost if it started in the current period; returns thresholds newly crossed. */
  charge(settings: BudgetSettings, costUsd: number, startedAt: number): number[] {
    if (startedAt < this.periodStart) return [];
    this.spent += costUsd;
    const crossed: number[] = [];
    for (const percent of settings.alertThresholds) {
      if (this.reached.has(percent)) continue;
      if (this.spent + EPSILON_USD >= (settings.maxUsd * percent) / 100) {
        this.reached.add(percent);
        crossed.push(percent);
      }
    }
    return crossed;
  }

  release(reservedUsd: number): void {
    this.reserved = Math.max(0, this.reserved - reservedUsd);
    if (this.reserved < EPSILON_USD) this.reserved = 0;
  }
}
