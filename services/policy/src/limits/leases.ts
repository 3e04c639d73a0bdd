import type { ReservationTicket } from '@sluice/contracts';
import type { BudgetLedger } from './budget-ledger';
import type { KeyCounters } from './key-counters';
import type { LeaseSize } from './lease-size';
import type { WindowRule } from './limit-refusals';

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
  /**
   * Its calls the gateway said it started (`Subjects.rpc.policyLeaseCall`) whose usage has not
   * arrived: when the lease ends they become reservations of their own (toReservations), so a call
   * its gateway never reports — the gateway died and its spool is gone — is swept and charged its
   * worst case, as a call admitted here would be.
   */
  running: Map<string, ReservationTicket>;
  /** The tokens and nano-dollars of the running calls' tickets (their share of what the lease holds). */
  runningTokens: number;
  runningNanos: number;
}

/** What a lease holds that none of its calls has taken yet. */
export interface Unspent {
  requests: number;
  slots: number;
  tokens: number;
  nanos: number;
}

/**
 * What the key's live leases hold that none of their calls has taken (a call taken is one its
 * gateway said started, or whose usage arrived): counted, so no gateway can overspend, but not
 * shown as used — the headers and the admin API's live view show the key as its calls use it.
 */
export function unspentOf(leases: Iterable<HeldLease>): Unspent {
  const u: Unspent = { requests: 0, slots: 0, tokens: 0, nanos: 0 };
  for (const lease of leases) {
    u.requests += Math.max(0, lease.requests - lease.settled - lease.running.size);
    if (lease.slots !== null) u.slots += Math.max(0, lease.slots - lease.running.size);
    u.tokens += Math.max(0, lease.tokensHeld - lease.runningTokens);
    u.nanos += Math.max(0, lease.nanosHeld - lease.runningNanos);
  }
  return u;
}

/** Counts the lease at its grant: n requests, its slots, its tokens, its budget reservation. */
export function holdLease(c: KeyCounters, lease: HeldLease): void {
  c.leases.add(lease);
  for (const rule of lease.requestRules) c.window(rule).add(lease.grantedAt, lease.requests);
  if (lease.slots !== null) c.inFlight += lease.slots;
  if (lease.tokensHeld > 0) c.window('tokensPerMinute').add(lease.grantedAt, lease.tokensHeld);
  if (c.budget) c.budget.reserved += lease.nanosHeld;
}

/** Moves `amount` of what the lease counted in `rule`'s window at its grant to a call's start. */
function moveFromGrant(c: KeyCounters, rule: WindowRule, lease: HeldLease, to: number, amount: number): void {
  const window = c.window(rule);
  window.add(lease.grantedAt, -amount);
  window.add(to, amount);
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
    for (const rule of lease.requestRules) moveFromGrant(c, rule, lease, startedAt, 1);
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
 * The lease's calls still running when it ends, as reservations of their own: each takes its
 * share of what the lease holds (its slot, its tokens, its worst case), so releasing the lease
 * gives back only the rest and releasing each reservation gives back its own. Its request and
 * tokens move from the grant to the call's start, as a settled call's do (takeFromLease): left at
 * the grant they would leave the window up to the lease's life before the call does, and the
 * key's next minute would admit that many more than its limit. The start is the gateway's clock,
 * held between the grant and the lease's expiry (no call starts under it later; a lease swept long
 * after it expired must not date its calls at the sweep).
 */
export function toReservations(c: KeyCounters, lease: HeldLease, now: number): ReservationTicket[] {
  const held: ReservationTicket[] = [];
  for (const ticket of lease.running.values()) {
    const tokens = Math.min(Math.max(0, ticket.tokens), lease.tokensHeld);
    const reservedNanos = Math.min(Math.max(0, ticket.reservedNanos), lease.nanosHeld);
    lease.tokensHeld -= tokens;
    lease.nanosHeld -= reservedNanos;
    if (lease.slots !== null && lease.slots > 0) lease.slots--;
    else c.inFlight++; // a slot the lease did not hold: the reservation's release gives it back
    const admittedAt = Math.min(now, lease.expiresAt, Math.max(lease.grantedAt, ticket.admittedAt));
    for (const rule of lease.requestRules) moveFromGrant(c, rule, lease, admittedAt, 1);
    if (tokens > 0) moveFromGrant(c, 'tokensPerMinute', lease, admittedAt, tokens);
    held.push({ ...ticket, admittedAt, tokens, reservedNanos });
  }
  lease.running.clear();
  lease.runningTokens = 0;
  lease.runningNanos = 0;
  return held;
}

/**
 * Gives back what the lease still holds: its slots, its tokens, its reservation and — when its
 * gateway said how many it spent (a return, not a sweep) — the requests it never made.
 */
export function releaseLease(c: KeyCounters, lease: HeldLease, requestsUnused: number): void {
  c.leases.delete(lease);
  if (requestsUnused > 0) for (const rule of lease.requestRules) c.window(rule).add(lease.grantedAt, -requestsUnused);
  if (lease.slots !== null) c.inFlight = Math.max(0, c.inFlight - lease.slots);
  if (lease.tokensHeld > 0) c.window('tokensPerMinute').add(lease.grantedAt, -lease.tokensHeld);
  c.budget?.release(lease.nanosHeld);
  lease.tokensHeld = 0;
  lease.nanosHeld = 0;
}

/** The budget left as the key's calls use it: what live leases hold and no call took is not shown as spent. */
export const shownRemaining = (c: KeyCounters, ledger: BudgetLedger): number =>
  Math.max(0, ledger.maxNanos - ledger.spent - shownReserved(c, ledger));

/** The budget reserved by calls in flight, without what live leases hold and no call took. */
export const shownReserved = (c: KeyCounters, ledger: BudgetLedger): number =>
  c.leases.size === 0 ? ledger.reserved : Math.max(0, ledger.reserved - c.unspent().nanos);
