import { budgetPeriodAt, nanosOfUsd, type BudgetSettings } from '@sluice/contracts';

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
  periodStart: number;
  periodEnd: number | null;
  /** The period setting the current period was computed from. */
  #period: string | null;
  #settings: BudgetSettings | null = null;

  constructor(createdAt: number, settings: BudgetSettings, now: number) {
    const period = budgetPeriodAt(createdAt, settings.period, now);
    this.periodStart = period.start;
    this.periodEnd = period.end;
    this.#period = settings.period;
    this.#apply(settings);
  }

  /**
   * Moves to the period that contains `now`; spend starts from zero in a new period, reservations
   * stay. When an admin changed the period's length, the current period becomes the new setting's
   * (anchored at the key's creation) and the spend counted so far is kept: it may include calls
   * from before the new start or miss some after it until the next reset or restart, which sums
   * the records again (documented in docs/limits.md).
   */
  roll(createdAt: number, settings: BudgetSettings, now: number): void {
    this.#apply(settings);
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

  /** Adds a settled call's cost if it started in the current period; returns thresholds newly crossed. */
  charge(settings: BudgetSettings, costNanos: number, startedAt: number): number[] {
    if (startedAt < this.periodStart) return [];
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
