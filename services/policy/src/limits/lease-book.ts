import type { AllowedLimits, LeaseGrant, ReservationTicket } from '@sluice/contracts';
import type { KeyPolicy } from '../keys/key-table';
import type { BudgetLedger } from './budget-ledger';
import type { KeyCounters } from './key-counters';
import { cutLease, leaseIdOf, MAX_LEASES_PER_KEY, rulesLease } from './lease-grant';
import type { LeaseSettings } from './lease-size';
import { holdLease, releaseLease, takeFromLease, toReservations, type HeldLease } from './leases';

/**
 * The leases this process granted (docs/limits.md#leases), and for a while those that ended: each
 * counted and reserved at its grant (leases.ts), its calls taken out of it as their usage arrives,
 * and what it still holds given back when its gateway returns it or its sweep comes.
 */
export class LeaseBook {
  /** Granted and not yet returned or swept (lease id → what they hold). */
  readonly live = new Map<string, HeldLease>();
  /** Returned or swept (lease id → key, when): a late usage of one of their calls is still theirs. */
  readonly #ended = new Map<string, { keyId: string; at: number }>();
  #rulesOnlySeq = 0;

  /** A lease for a key with no limits: only its rules to check, nothing counted or held here. */
  rulesOnly(settings: LeaseSettings): LeaseGrant {
    return rulesLease(settings, `l${++this.#rulesOnlySeq}`);
  }

  /**
   * Far from every limit, the reply to an admitted call also carries a lease for further calls like
   * it, counted and reserved here and now (lease-grant.ts); near one, every call is decided one by one.
   * A successor (`replacing` a live lease of the key, which its gateway hands back once it has the
   * new one) does not count against the key's cap on leases.
   */
  grant(
    key: KeyPolicy,
    c: KeyCounters,
    ledger: BudgetLedger | null,
    call: ReservationTicket,
    allowed: AllowedLimits,
    settings: LeaseSettings,
    now: number,
    replacing?: string,
  ): void {
    const replaced = replacing !== undefined && this.live.get(replacing)?.keyId === key.keyId ? 1 : 0;
    if (c.leases.size - replaced >= MAX_LEASES_PER_KEY || this.live.has(leaseIdOf(call.callId))) return;
    const cut = cutLease(key, c, ledger, call, allowed.budgetRemainingNanos, settings, now);
    if (!cut) return;
    holdLease(c, cut.held);
    this.live.set(cut.held.leaseId, cut.held);
    allowed.lease = cut.grant;
  }

  /**
   * A gateway started a call under a live lease (its ticket, as it would report it after a restart):
   * remembered with the lease until its usage arrives, so the call is swept if it never does. A
   * notice for another key's lease or an unknown one is ignored; a lease remembers at most as many
   * calls as it admits, counting those already settled.
   */
  started(leaseId: string, ticket: ReservationTicket): void {
    const lease = this.live.get(leaseId);
    if (!lease || lease.keyId !== ticket.keyId) return;
    if (lease.running.size + lease.settled >= lease.requests || lease.running.has(ticket.callId)) return;
    lease.running.set(ticket.callId, ticket);
    lease.runningTokens += ticket.tokens;
    lease.runningNanos += ticket.reservedNanos;
  }

  /** One of a live lease's calls settled: it runs no more, and its real tokens and cost leave the lease's holding. */
  settled(lease: HeldLease, c: KeyCounters, callId: string, startedAt: number, tokens: number, nanos: number): void {
    const started = lease.running.get(callId);
    if (started) {
      lease.running.delete(callId);
      lease.runningTokens -= started.tokens;
      lease.runningNanos -= started.reservedNanos;
    }
    takeFromLease(c, lease, startedAt, tokens, nanos);
  }

  /** The key of a lease this process granted, live or ended not long ago; undefined: not this process's. */
  keyOf(leaseId: string): string | undefined {
    return this.live.get(leaseId)?.keyId ?? this.#ended.get(leaseId)?.keyId;
  }

  /**
   * Ends a lease: what it still holds is given back, and the requests it never made (when known)
   * are uncounted at its grant. Its calls still running are returned as reservations of their own.
   */
  end(lease: HeldLease, c: KeyCounters, requestsUnused: number, now: number): ReservationTicket[] {
    this.live.delete(lease.leaseId);
    this.#ended.set(lease.leaseId, { keyId: lease.keyId, at: now });
    const running = lease.running.size;
    const tickets = toReservations(c, lease, now);
    releaseLease(c, lease, Math.max(0, requestsUnused - running));
    return tickets;
  }

  /** Leases never returned (their gateway died) whose calls cannot be running any more. */
  overdue(now: number, ttlMs: number): HeldLease[] {
    return [...this.live.values()].filter((lease) => now - lease.expiresAt >= ttlMs);
  }

  /** Forgets the leases that ended more than `memoryMs` ago. */
  forget(now: number, memoryMs: number): void {
    for (const [leaseId, ended] of this.#ended) {
      if (now - ended.at <= memoryMs) break; // insertion order is time order
      this.#ended.delete(leaseId);
    }
  }
}
