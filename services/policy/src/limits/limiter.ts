import {
  costNanosOfUsage,
  formatNanoUsd,
  type AllowedLimits,
  type ReservationTicket,
  type UsageMessage,
} from '@sluice/contracts';
import type { KeyPolicy } from '../keys/key-table';
import type { Admission, Ask, Reservation } from './admission';
import { KeyCounters } from './key-counters';
import { checkLimits, limitHeadersOf } from './limit-checks';
import { LimitRefusals } from './limit-refusals';
import { LeaseBook } from './lease-book';
import { leasable, leaseIdOf } from './lease-grant';
import { shownRemaining, type HeldLease } from './leases';
import type { LeaseSettings } from './lease-size';
import { nearLimit } from './near-limit';
import type { RecordedCall } from './recorded-calls';
import { RememberedCalls, SETTLED_MEMORY_MS } from './remembered-calls';
import { SweptCalls, type SweptCharge } from './swept-calls';
import { usageCounts } from './usage-counts';

/** Thresholds crossed by a settlement: the caller records them (an event) and notifies. */
export type ThresholdListener = (key: KeyPolicy, percent: number, periodStart: number, spentNanos: number) => void;

const NO_LIMITS: AllowedLimits = { headers: {}, reservedNanos: null, budgetRemainingNanos: null };

/**
 * The counters of every key, in this process only: policy is their single authority, so a limit
 * holds however many gateways serve the key. Admission counts and reserves; the call's usage
 * message settles it (real tokens and cost replace the reservation); a call that never reports
 * back is swept after a deadline and charged its reserved worst case.
 */
export class Limiter {
  readonly #counters = new Map<string, KeyCounters>();
  readonly reservations = new Map<string, Reservation>();
  /** Calls already settled (call id → when), so a redelivered usage message is not counted twice. */
  readonly #settled = new RememberedCalls();
  /** Calls their gateway gave up on before the reply arrived (call id → when). */
  readonly #cancelled = new RememberedCalls();
  readonly #swept = new SweptCalls();
  readonly #leases = new LeaseBook();
  /** Null: no leases are granted (SLUICE_LEASES unset). */
  leasing: LeaseSettings | null = null;

  constructor(
    private readonly keyById: (keyId: string) => KeyPolicy | undefined,
    private readonly onThreshold: ThresholdListener = () => {},
    /**
     * How long a settled or cancelled call is remembered (see PolicyRuntime: at least the TTL plus the restart's
     * overlap).
     */
    private readonly settledMemoryMs = SETTLED_MEMORY_MS,
  ) {}

  /** Leases granted and not yet returned or swept (lease id → what they hold). */
  get leases(): ReadonlyMap<string, HeldLease> {
    return this.#leases.live;
  }

  counters(keyId: string): KeyCounters {
    let counters = this.#counters.get(keyId);
    if (!counters) this.#counters.set(keyId, (counters = new KeyCounters()));
    return counters;
  }

  /**
   * Checks every limit of the key and, unless `dryRun`, counts the call and reserves its worst case.
   * `renews` (a lease's id) asks for that lease's successor for a call already counted in it: nothing
   * is counted or reserved, and the reply carries a lease if a call like it would bring one.
   */
  admit(key: KeyPolicy, ask: Ask, now: number, dryRun = false, renews?: string): Admission {
    const limits = key.rateLimits;
    if (!limits && !key.budget)
      return {
        ok: true,
        limits:
          this.leasing && !dryRun && leasable(key, this.leasing, now)
            ? { ...NO_LIMITS, lease: this.#leases.rulesOnly(this.leasing) }
            : NO_LIMITS,
      };
    // Its gateway gave up and cancelled it before this (forwarded, late) admission arrived: holding
    // a slot and a reservation now would leak them, and the sweep would bill a refused call.
    if (!dryRun && this.#cancelled.has(ask.callId)) return { ok: false, error: LimitRefusals.abandoned(), headers: {} };
    const c = this.counters(key.keyId);
    const headersNow = () => limitHeadersOf(c, limits, now);
    const checked = checkLimits(key, c, ask, now);
    if (!checked.ok) return checked;
    const { tokens, worstCase, reservedNanos, ledger } = checked;

    let reservation: ReservationTicket | undefined;
    if (!dryRun) {
      reservation = {
        callId: ask.callId,
        keyId: key.keyId,
        admittedAt: now,
        // Only what was added to a tokens-per-minute window is taken out of it again.
        tokens: limits?.tokensPerMinute ? tokens : 0,
        reservedNanos,
        price: ask.model.price,
        worstCase,
        call: {
          model: ask.model.name,
          upstreamModel: ask.model.upstreamModel,
          providerId: ask.model.providerId,
          operation: ask.operation,
          clientIp: ask.clientIp,
        },
      };
      if (renews === undefined) this.#hold(key, c, reservation);
    }
    const headers = headersNow();
    const remaining =
      ledger && key.budget ? Math.max(0, shownRemaining(c, ledger) - (dryRun ? reservedNanos : 0)) : null;
    if (remaining !== null) headers['x-sluice-budget-remaining-usd'] = formatNanoUsd(remaining);
    const budgeted = key.budget ? ledger : null;
    const near = reservation !== undefined && nearLimit(limits, c, budgeted, reservation, now);
    // A renewal holds nothing: its reply carries no reservation, only the successor if there is one.
    const allowed: AllowedLimits =
      renews === undefined
        ? { headers, reservedNanos: ledger ? reservedNanos : null, budgetRemainingNanos: remaining, reservation }
        : { headers, reservedNanos: null, budgetRemainingNanos: remaining };
    if (near && renews === undefined) allowed.confirmSettlement = true;
    // Near a limit no lease (nor successor): the key's calls are decided one by one.
    if (reservation && !near && this.leasing && leasable(key, this.leasing, now))
      this.#leases.grant(key, c, budgeted, reservation, allowed, this.leasing, now, renews);
    return { ok: true, limits: allowed };
  }

  /**
   * A lease its gateway no longer spends, with the usage of the calls it admitted (a batch
   * settlement: those not settled yet are settled now). What the lease still holds is given back,
   * and the requests it never made are uncounted at its grant. A lease of another key, or one this
   * process does not hold (a restart lost it: its calls' usage travels the stream), changes nothing.
   */
  returnLease(leaseId: string, keyId: string, usages: UsageMessage[], now: number): boolean {
    const lease = this.#leases.live.get(leaseId);
    if (!lease || lease.keyId !== keyId) return false;
    for (const usage of usages) if (usage.leaseId === leaseId && usage.keyId === keyId) this.settle(usage, now);
    this.#endLease(lease, lease.requests - lease.settled, now);
    return true;
  }

  /** Its calls still running keep their share as reservations of their own, settled or swept like any. */
  #endLease(lease: HeldLease, requestsUnused: number, now: number): void {
    const tickets = this.#leases.end(lease, this.counters(lease.keyId), requestsUnused, now);
    for (const ticket of tickets) this.reservations.set(ticket.callId, ticket);
  }

  /**
   * A call admitted by an earlier policy process and still in flight, as its gateway reported it
   * after a restart (checked and upcast at the edge: InFlightTicket): counted and reserved again,
   * so it keeps its slot until its usage settles it.
   */
  restore(ticket: ReservationTicket, now: number): void {
    if (this.reservations.has(ticket.callId) || this.#settled.has(ticket.callId) || this.#cancelled.has(ticket.callId))
      return;
    const key = this.keyById(ticket.keyId);
    if (!key || (!key.rateLimits && !key.budget)) return;
    const c = this.counters(key.keyId);
    c.ledger(key, now);
    this.#hold(key, c, ticket);
  }

  #hold(key: KeyPolicy, c: KeyCounters, r: ReservationTicket): void {
    c.countRequest(key.rateLimits, r.admittedAt);
    if (r.tokens > 0) c.window('tokensPerMinute').add(r.admittedAt, r.tokens);
    c.inFlight++;
    if (key.budget && c.budget) c.budget.reserved += r.reservedNanos;
    this.reservations.set(r.callId, r);
  }

  /** A gateway started a call under a lease this process granted (lease-book.ts); a call already settled is not. */
  leasedCallStarted(leaseId: string, ticket: ReservationTicket): void {
    if (!this.#settled.has(ticket.callId)) this.#leases.started(leaseId, ticket);
  }

  /**
   * A call's usage: releases its reservation and counts what it really used, on the key the call
   * was admitted for. A call this process did not admit (admitted before a restart) is counted at
   * the time it started. The real report of a call already swept corrects the sweep's charge
   * instead: a call is charged once.
   */
  settle(usage: UsageMessage, now: number): void {
    const reservation = this.reservations.get(usage.requestId);
    // A report naming another key than the one its call was admitted for is not that call's report.
    if (reservation && reservation.keyId !== usage.keyId) return;
    if (reservation) this.#release(reservation);
    else {
      // A swept call's late report corrects the sweep, whether or not it was leased.
      if (usage.swept !== true) {
        const swept = this.#swept.take(usage.requestId, now);
        if (swept) {
          this.#correct(swept, usage, now);
          return;
        }
        if (this.#swept.wasCorrected(usage.requestId)) return;
      }
      if (usage.leaseId !== undefined && this.#settleLeased(usage, now)) return;
    }
    const key = this.keyById(reservation?.keyId ?? usage.keyId);
    if (!key || (!key.rateLimits && !key.budget && !reservation)) return;
    if (this.#settled.has(usage.requestId)) return;
    this.#settled.add(usage.requestId, now);
    const c = this.counters(key.keyId);
    // Policy's own clock at admission when it admitted the call: the reservation was made in that
    // period, so the charge goes there too (the gateway's clock may differ by a little). A start
    // the message puts after now would move the windows past now and empty them.
    const limits = key.rateLimits;
    const { reported, endedAt, tokens, costNanos } = usageCounts(usage, limits, now);
    const startedAt = reservation?.admittedAt ?? Math.min(now, reported);
    if (!reservation) c.countRequest(limits, startedAt);
    c.addTokens(limits, endedAt, tokens);
    if (usage.swept === true)
      this.#swept.remember(
        usage.requestId,
        { keyId: key.keyId, costNanos, tokens: limits?.tokensPerMinute ? tokens : 0, endedAt, startedAt },
        now,
      );
    this.#charge(key, costNanos, startedAt, now);
  }

  /**
   * A call admitted under a lease this process granted: its request was counted with the lease, so
   * only its real tokens and cost are counted, and taken out of what the lease holds. False when the
   * lease is not this process's (granted before a restart): the call is then settled like any other.
   */
  #settleLeased(usage: UsageMessage, now: number): boolean {
    const leaseId = usage.leaseId!;
    const keyId = this.#leases.keyOf(leaseId);
    if (keyId === undefined) return false;
    if (keyId !== usage.keyId || this.#settled.has(usage.requestId)) return true;
    const key = this.keyById(keyId);
    if (!key) return true;
    this.#settled.add(usage.requestId, now);
    const c = this.counters(keyId);
    const lease = this.#leases.live.get(leaseId);
    const limits = key.rateLimits;
    const { reported, endedAt, tokens, costNanos } = usageCounts(usage, limits, now);
    const startedAt = Math.min(now, Math.max(lease?.grantedAt ?? 0, reported));
    if (lease) this.#leases.settled(lease, c, usage.requestId, startedAt, tokens, costNanos);
    c.addTokens(limits, endedAt, tokens);
    this.#charge(key, costNanos, startedAt, now);
    return true;
  }

  /**
   * The late real report of a call swept before a restart (or long enough ago to be forgotten),
   * found in metering's records: the charge moves from the record's worst case to the real cost.
   */
  correctRecordedSweep(
    usage: UsageMessage,
    record: Pick<RecordedCall, 'keyId' | 'costNanos' | 'startedAt'>,
    now: number,
  ): void {
    if (this.#swept.wasCorrected(usage.requestId)) return;
    this.#swept.markCorrected(usage.requestId, now);
    const key = this.keyById(record.keyId);
    if (key) this.#charge(key, costNanosOfUsage(usage) - record.costNanos, record.startedAt, now);
  }

  /** Settled here, and not a sweep still waiting for its real report: another copy changes nothing. */
  settledAlready(callId: string): boolean {
    return this.#settled.has(callId) && !this.#swept.awaitsReport(callId);
  }

  /** Whether this process holds anything about the call: a reservation, a settlement, a sweep. */
  knows(callId: string): boolean {
    return this.reservations.has(callId) || this.#settled.has(callId) || this.#swept.knows(callId);
  }

  #correct(swept: SweptCharge, usage: UsageMessage, now: number): void {
    const key = this.keyById(swept.keyId);
    if (!key) return;
    const { tokens, costNanos } = usageCounts(usage, key.rateLimits, now);
    if (swept.tokens > 0) this.counters(key.keyId).addTokens(key.rateLimits, swept.endedAt, tokens - swept.tokens);
    this.#charge(key, costNanos - swept.costNanos, swept.startedAt, now);
  }

  /** Charges (or, negative, refunds) the budget in the period the call started in; reports thresholds crossed. */
  #charge(key: KeyPolicy, costNanos: number, startedAt: number, now: number): void {
    const ledger = this.counters(key.keyId).ledger(key, now);
    if (!ledger || !key.budget) return;
    for (const percent of ledger.charge(key.budget, costNanos, startedAt))
      this.onThreshold(key, percent, ledger.periodStart, ledger.spent);
  }

  /**
   * A call admitted but answered 503 because its authorize reply came too late: the gateway says so
   * and the reservation is released uncharged (the request stays counted: it was admitted).
   */
  cancel(callId: string, now: number): void {
    this.#cancelled.add(callId, now);
    const reservation = this.reservations.get(callId);
    if (reservation) this.#release(reservation);
    // A lease granted with it never reached the gateway: nothing was spent of it.
    const lease = this.#leases.live.get(leaseIdOf(callId));
    if (lease) this.#endLease(lease, lease.requests, now);
  }

  /** Undoes what holding a reservation did, whatever the key's limits are now. */
  #release(r: Reservation): void {
    this.reservations.delete(r.callId);
    const c = this.counters(r.keyId);
    c.inFlight = Math.max(0, c.inFlight - 1);
    if (r.tokens > 0) c.window('tokensPerMinute').add(r.admittedAt, -r.tokens);
    c.budget?.release(r.reservedNanos);
  }

  /** Reservations older than `ttlMs`, marked so they are swept once; their sweep settles them. */
  expired(now: number, ttlMs: number): Reservation[] {
    const due: Reservation[] = [];
    // A lease never returned (its gateway died): once its calls cannot be running any more, what it
    // holds is given back, its calls the gateway said it started become reservations (swept below,
    // at their worst case), its requests stay counted (how many it spent is unknown), and its
    // calls' usage, recovered from the gateway's spool, is still charged once.
    for (const lease of this.#leases.overdue(now, ttlMs)) this.#endLease(lease, 0, now);
    for (const r of this.reservations.values()) {
      if (!r.sweeping && now - r.admittedAt >= ttlMs) {
        r.sweeping = true;
        due.push(r);
      }
    }
    this.#leases.forget(now, this.settledMemoryMs);
    this.#settled.forget(now, this.settledMemoryMs);
    this.#cancelled.forget(now, this.settledMemoryMs);
    this.#swept.forget(now);
    return due;
  }

  /** A threshold already recorded in the log (its event came back), so it is not sent again. */
  thresholdRecorded(keyId: string, periodStart: number, percent: number, now: number): void {
    const key = this.keyById(keyId);
    if (!key?.budget) return;
    const ledger = this.counters(keyId).ledger(key, now);
    if (ledger && ledger.periodStart === periodStart) ledger.reached.add(percent);
  }
}
