import { budgetCountStart, budgetPeriodAt, nanosOfUsd, type BudgetSettings, type BudgetSince } from '@sluice/contracts';

/** What a ledger needs of its key: when it was created and its budget (present). */
export interface BudgetedKey {
  createdAt: number;
  budget: BudgetSettings;
  budgetSince: BudgetSince;
}

/**
 * One key's budget in its current period, in integer nano-dollars: spent (settled calls that
 * started in the period) and reserved (the worst case of calls admitted and not settled yet). A
 * call is admitted only when spent + reserved + its own worst case fit the budget, so concurrent
 * calls cannot overspend it. Integers add exactly: the last call that fits is never refused.
 */
export class BudgetLedger {
  spent = 0;
  reserved = 0;
  /** The budget in nano-dollars, converted once per settings change. */
  maxNanos = 0;
  /** Thresholds (percent) reached in the current period: recorded ones and ones just crossed. */
  readonly reached = new Set<number>();
  /** The current period, anchored at the key's creation: resets and thresholds are per period. */
  periodStart = 0;
  periodEnd: number | null = null;
  /**
   * The earliest call start the spend counts (see budgetCountStart): settled calls that started before are not charged.
   */
  countsFrom = Number.NaN;
  #settings: BudgetSettings | null = null;

  constructor(key: BudgetedKey, now: number) {
    this.roll(key, now);
  }

  /**
   * Moves to the period that contains `now` under the key's current budget. The spend starts from
   * zero exactly when the count's start moves: a new period, or a budget given to the key. A new
   * period length keeps the count's start, so the spend counted so far stays until the new
   * period's next boundary (budgetCountStart); a restart sums the records from the same start.
   */
  roll(key: BudgetedKey, now: number): void {
    this.#apply(key.budget);
    const period = budgetPeriodAt(key.createdAt, key.budget.period, now);
    const countsFrom = budgetCountStart(period.start, key.budgetSince);
    if (period.start !== this.periodStart) this.reached.clear();
    this.periodStart = period.start;
    this.periodEnd = period.end;
    if (countsFrom === this.countsFrom) return;
    this.countsFrom = countsFrom;
    this.spent = 0;
    this.reached.clear();
  }

  #apply(settings: BudgetSettings): void {
    if (settings === this.#settings) return;
    this.#settings = settings;
    this.maxNanos = nanosOfUsd(settings.maxUsd);
  }

  fits(worstCaseNanos: number): boolean {
    return this.spent + this.reserved + worstCaseNanos <= this.maxNanos;
  }

  remaining(): number {
    return Math.max(0, this.maxNanos - this.spent - this.reserved);
  }

  /** Adds a settled call's cost if the current count includes its start; returns thresholds newly crossed. */
  charge(settings: BudgetSettings, costNanos: number, startedAt: number): number[] {
    // A spend of NaN would fit every call from then on.
    if (!Number.isFinite(costNanos) || !Number.isFinite(startedAt) || startedAt < this.countsFrom) return [];
    this.spent += costNanos;
    const crossed: number[] = [];
    for (const percent of settings.alertThresholds) {
      if (this.reached.has(percent)) continue;
      if (this.spent >= percentOf(this.maxNanos, percent)) {
        this.reached.add(percent);
        crossed.push(percent);
      }
    }
    return crossed;
  }

  release(reservedNanos: number): void {
    this.reserved = Math.max(0, this.reserved - reservedNanos);
  }
}

/** `percent` % of an amount, rounded up, without a product that could pass 2^53. */
export function percentOf(nanos: number, percent: number): number {
  const hundredths = Math.floor(nanos / 100);
  return hundredths * percent + Math.ceil(((nanos - hundredths * 100) * percent) / 100);
}
