import type { KeyCounters } from './key-counters';
import type { LeaseSize } from './lease-size';

/**
 * What policy holds for a lease it granted: counted and reserved at grant, as if its calls had all
 * been admitted then. Each of its calls' usage moves that call's share from the lease to what it
 * really used; the lease's return (or its sweep) gives back what is still held.
 */
export interface HeldLease extends LeaseSize {
  leaseId: string;
  keyId: string;
  grantedAt: number;
  expiresAt: number;
  /** Calls whose usage arrived: their request was moved from the grant to their start. */
  settled: number;
  /** What the lease still holds of the tokens-per-minute window and of the budget's reservation. */
  tokensHeld: number;
  nanosHeld: number;
}

/** Counts the lease at its grant: n requests, its slots, its tokens, its budget reservation. */
export function holdLease(c: KeyCounters, lease: HeldLease): void {
  for (const rule of lease.requestRules) c.window(rule).add(lease.grantedAt, lease.requests);
  if (lease.slots !== null) c.inFlight += lease.slots;
  if (lease.tokensHeld > 0) c.window('tokensPerMinute').add(lease.grantedAt, lease.tokensHeld);
  if (c.budget) c.budget.reserved += lease.nanosHeld;
}

/**
 * Takes one of the lease's calls out of it: its request moves from the grant to the call's start,
 * and its real tokens and cost leave the lease's holding (the caller counts them as used). A call's
 * real cost is at most the worst case the gateway took from the lease, so what the lease still
 * holds covers every call of it not yet settled.
 */
export function takeFromLease(
  c: KeyCounters,
  lease: HeldLease,
  startedAt: number,
  tokens: number,
  nanos: number,
): void {
  if (lease.settled < lease.requests) {
    lease.settled++;
    for (const rule of lease.requestRules) {
      const window = c.window(rule);
      window.add(lease.grantedAt, -1);
      window.add(startedAt, 1);
    }
  }
  const tokensTaken = Math.min(Math.max(0, tokens), lease.tokensHeld);
  if (tokensTaken > 0) {
    c.window('tokensPerMinute').add(lease.grantedAt, -tokensTaken);
    lease.tokensHeld -= tokensTaken;
  }
  const nanosTaken = Math.min(Math.max(0, nanos), lease.nanosHeld);
  lease.nanosHeld -= nanosTaken;
  c.budget?.release(nanosTaken);
}

/**
 * Gives back what the lease still holds: its slots, its tokens, its reservation and — when its
 * gateway said how many it spent (a return, not a sweep) — the requests it never made.
 */
export function releaseLease(c: KeyCounters, lease: HeldLease, requestsUnused: number): void {
  if (requestsUnused > 0) for (const rule of lease.requestRules) c.window(rule).add(lease.grantedAt, -requestsUnused);
  if (lease.slots !== null) c.inFlight = Math.max(0, c.inFlight - lease.slots);
  if (lease.tokensHeld > 0) c.window('tokensPerMinute').add(lease.grantedAt, -lease.tokensHeld);
  c.budget?.release(lease.nanosHeld);
  lease.tokensHeld = 0;
  lease.nanosHeld = 0;
}
