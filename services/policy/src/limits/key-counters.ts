import type { RateLimits, TokenKind } from '@sluice/contracts';
import type { KeyPolicy } from '../keys/key-table';
import { BudgetLedger, type BudgetedKey } from './budget-ledger';
import type { WindowRule } from './limit-refusals';
import type { WindowReading } from './rate-limit-headers';
import { unspentOf, type HeldLease, type Unspent } from './leases';
import { SlidingWindow } from './sliding-window';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Each window and its slices: a minute in tenths of a second, an hour in minutes, a day in
 * ten-minute slices. Any run of one window's length can hold at most the limit plus what one
 * slice admitted (a slice frees all at once), so finer minute slices keep per-minute limits
 * within a fraction of a percent; about 5 KB per minute window, kept only for keys with that limit.
 */
const WINDOWS: Record<WindowRule, { ms: number; slices: number }> = {
  requestsPerMinute: { ms: MINUTE, slices: 600 },
  requestsPerHour: { ms: HOUR, slices: 60 },
  requestsPerDay: { ms: DAY, slices: 144 },
  tokensPerMinute: { ms: MINUTE, slices: 600 },
};

export const REQUEST_WINDOWS = ['requestsPerMinute', 'requestsPerHour', 'requestsPerDay'] as const;

const ALL_TOKEN_KINDS: TokenKind[] = ['input', 'output'];
export const tokenKindsOf = (limits: RateLimits | null): TokenKind[] => limits?.tokenKinds ?? ALL_TOKEN_KINDS;

export function countedTokens(kinds: TokenKind[], input: number, output: number): number {
  return (kinds.includes('input') ? input : 0) + (kinds.includes('output') ? output : 0);
}

/**
 * One key's counters. Windows exist only for the limits the key has (made when first needed), so
 * a key without limits costs nothing; counts are kept whether or not a call was admitted here or
 * by an earlier policy process (rebuilt from the usage log).
 */
export class KeyCounters {
  readonly #windows = new Map<WindowRule, SlidingWindow>();
  inFlight = 0;
  budget: BudgetLedger | null = null;
  /** The key's leases granted and not yet ended (leases.ts). */
  readonly leases = new Set<HeldLease>();

  /** What the live leases hold that no call has taken: counted, not shown as used. */
  unspent(): Unspent {
    return unspentOf(this.leases);
  }

  window(rule: WindowRule): SlidingWindow {
    let window = this.#windows.get(rule);
    if (!window) this.#windows.set(rule, (window = new SlidingWindow(WINDOWS[rule].ms, WINDOWS[rule].slices)));
    return window;
  }

  ledger(key: KeyPolicy, now: number): BudgetLedger | null {
    if (!key.budget || !key.budgetSince) return null;
    const budgeted = key as BudgetedKey;
    if (!this.budget) this.budget = new BudgetLedger(budgeted, now);
    else this.budget.roll(budgeted, now);
    return this.budget;
  }

  /** A request admitted (or, rebuilding, started) at `at`, counted in each request window the key has. */
  countRequest(limits: RateLimits | null, at: number): void {
    for (const rule of REQUEST_WINDOWS) if (limits?.[rule]) this.window(rule).add(at, 1);
  }

  addTokens(limits: RateLimits | null, at: number, tokens: number): void {
    if (limits?.tokensPerMinute && tokens !== 0) this.window('tokensPerMinute').add(at, tokens);
  }

  /** The request window with the least left, for `x-ratelimit-*-requests`. */
  tightestRequests(limits: RateLimits | null, now: number): WindowReading | null {
    let tightest: WindowReading | null = null;
    for (const rule of REQUEST_WINDOWS) {
      const limit = limits?.[rule];
      if (!limit) continue;
      const reading = this.reading(rule, limit, now);
      if (!tightest || reading.remaining < tightest.remaining) tightest = reading;
    }
    return tightest;
  }

  /** A window as its calls use it: what leases hold and no call took yet is not shown as used. */
  reading(rule: WindowRule, limit: number, now: number): WindowReading {
    const window = this.window(rule);
    const used = this.shownUsed(rule, now);
    return { limit, remaining: Math.max(0, limit - used), resetsInMs: window.msUntilEmpty(now) };
  }

  shownUsed(rule: WindowRule, now: number): number {
    const used = this.window(rule).used(now);
    if (this.leases.size === 0) return used;
    const unspent = this.unspent();
    return Math.max(0, used - (rule === 'tokensPerMinute' ? unspent.tokens : unspent.requests));
  }
}
