import type { RateLimits } from '@sluice/contracts';
import type { BudgetLedger } from './budget-ledger';
import type { KeyCounters } from './key-counters';
import type { WindowRule } from './limit-refusals';
import { REQUEST_WINDOWS } from './key-counters';

/** How leases are cut (SLUICE_LEASES=1 turns them on; see docs/limits.md#leases). */
export interface LeaseSettings {
  /** How long a gateway may spend a lease. */
  validMs: number;
  /** The most calls one lease admits (all of them may run at once). */
  maxRequests: number;
}

export const DEFAULT_LEASES: LeaseSettings = { validMs: 1000, maxRequests: 100 };

/**
 * A lease takes at most this share of what is left of each limit, so other gateways and the key's
 * own direct calls lose little to it; and it is granted only where what is left holds at least
 * 2 × SHARE calls like the one that asked, so a key near a limit is decided call by call, exactly.
 */
const SHARE = 16;
const MIN_CALLS = 2;

export interface LeaseSize {
  requests: number;
  requestRules: WindowRule[];
  slots: number | null;
  tokens: number | null;
  nanos: number | null;
}

/**
 * The slice of a key's limits a lease may hold, or null when the key is too near one of them:
 * with the call that asked already counted, each limit must have room for MIN_CALLS × SHARE calls
 * like it, and the lease takes a SHARE-th of the room (capped). Pure: counters are read, not moved.
 */
export function leaseSize(
  limits: RateLimits | null,
  counters: KeyCounters,
  ledger: BudgetLedger | null,
  call: { tokens: number; reservedNanos: number },
  settings: LeaseSettings,
  now: number,
): LeaseSize | null {
  let requests = settings.maxRequests;
  const requestRules: WindowRule[] = [];
  for (const rule of REQUEST_WINDOWS) {
    const limit = limits?.[rule];
    if (!limit) continue;
    requests = Math.min(requests, Math.floor((limit - counters.window(rule).used(now)) / SHARE));
    requestRules.push(rule);
  }
  if (requests < MIN_CALLS) return null;
  let slots: number | null = null;
  if (limits?.maxParallelRequests) {
    // As many as its calls, so a busy client's lease is not spent by its concurrency alone.
    slots = Math.min(requests, Math.floor((limits.maxParallelRequests - counters.inFlight) / SHARE));
    if (slots < 1) return null;
  }
  let tokens: number | null = null;
  if (limits?.tokensPerMinute) {
    const room = limits.tokensPerMinute - counters.window('tokensPerMinute').used(now);
    tokens = Math.min(Math.floor(room / SHARE), requests * call.tokens);
    if (tokens < MIN_CALLS * call.tokens) return null;
  }
  let nanos: number | null = null;
  if (ledger) {
    nanos = Math.min(Math.floor(ledger.remaining() / SHARE), requests * call.reservedNanos);
    if (nanos < MIN_CALLS * call.reservedNanos) return null;
  }
  return { requests, requestRules, slots, tokens, nanos };
}
