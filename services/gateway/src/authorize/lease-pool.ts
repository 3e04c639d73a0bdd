import {
  callTokens,
  formatNanoUsd,
  rateLimitHeaders,
  reservedOutputTokens,
  worstCaseNanosOf,
  type AuthorizeReply,
  type AuthorizeRequest,
  type LeaseGrant,
  type LeaseReturn,
  type LeaseRevoke,
  type ReservationTicket,
  type Route,
  type TokenKind,
  type UsageMessage,
} from '@sluice/contracts';
import { Revocations } from './revocations';

/** A lease this gateway spends: what policy granted, less what its calls hold or used. */
interface Lease {
  grant: LeaseGrant;
  shape: string;
  keyId: string;
  keyName?: string;
  route: Route;
  partition?: number;
  /** performance.now() after which no call is admitted under it. */
  until: number;
  requestsLeft: number;
  slotsFree: number;
  tokensLeft: number;
  nanosLeft: number;
  /** For the headers: calls admitted, and the tokens and nano-dollars they hold or used. */
  admitted: number;
  tokensUsed: number;
  nanosUsed: number;
  running: number;
  /** The usage of its calls that ended, handed back with the lease (a batch settlement). */
  usages: UsageMessage[];
  open: boolean;
  /** performance.now() from which a call admitted under it also asks for its successor. */
  renewAt: number;
  /** One of its calls asked policy for the next lease: no other does. */
  renewing: boolean;
  /** Handed back (at its close): its calls still running settle from the usage stream. */
  returned: boolean;
  timer?: NodeJS.Timeout;
}

interface LeasedCall {
  lease: Lease;
  tokens: number;
  nanos: number;
}

/** What the call that brought a lease held, so the lease's headers follow its settlement too. */
interface GrantingCall {
  lease: Lease;
  tokens: number;
  nanos: number;
}

/**
 * What policy needs of a call's usage to settle it. The caller's tags (metadata alone can be ~10 KB
 * a call) stay out of a lease's return, so a return of 100 calls fits one NATS message; the usage
 * stream keeps them.
 */
const settlementOf = ({
  clientRequestId: _id,
  user: _user,
  metadata: _metadata,
  sessionId: _session,
  ...settlement
}: UsageMessage): UsageMessage => settlement;
/**
 * How long no lease is renewed on the side after a renewal went unanswered or came too late: policy
 * is slow, and a renewal is a request more for it. Meanwhile a lease is spent to its end and the call
 * that finds it spent asks policy itself (which brings the next lease), as before renewals.
 */
export const RENEWAL_BACKOFF_MS = 5_000;

const shapeOf = (req: AuthorizeRequest): string => `${req.keyHash}\n${req.model}\n${req.operation}\n${req.clientIp}`;
const counted = (kinds: TokenKind[], input: number, output: number): number =>
  (kinds.includes('input') ? input : 0) + (kinds.includes('output') ? output : 0);

/**
 * The leases policy granted this gateway (docs/limits.md#leases), one per call shape (key, model,
 * operation, client address: the same rules and route). A call that fits a live lease — a request
 * and a slot left, its tokens and worst-case cost within what is left — is admitted here without a
 * NATS message; any other goes to policy. When a lease's life ends (expiry, spent, revoked, NATS
 * lost, a policy restart) no call is admitted under it any more, and once its calls ended it is
 * handed back with their usage.
 */
export class LeasePool {
  readonly #byShape = new Map<string, Lease>();
  readonly #calls = new Map<string, LeasedCall>();
  readonly #granting = new Map<string, GrantingCall>();
  readonly #revocations = new Revocations();
  /** No renewal on the side before this (performance.now()): see RENEWAL_BACKOFF_MS. */
  #renewalsFrom = Number.NEGATIVE_INFINITY;

  constructor(private readonly handBack: (ret: LeaseReturn) => void) {}

  /**
   * The reply for a call admitted under a lease, with its reservation ticket; undefined: ask policy.
   * `renew`: the lease is nearly spent (a quarter left) or three quarters through its life, and this
   * call is the one to ask policy for its successor — in the background, while the calls go on
   * spending what is left, so none waits for the round trip a lease is there to save.
   */
  admit(
    req: AuthorizeRequest,
    now = performance.now(),
  ): { reply: AuthorizeReply; leaseId: string; ticket?: ReservationTicket; renew?: true } | undefined {
    if (req.checkOnly || !req.callId || this.#byShape.size === 0) return undefined;
    const lease = this.#byShape.get(shapeOf(req));
    if (!lease) return undefined;
    if (now >= lease.until || lease.requestsLeft < 1) {
      this.#close(lease);
      return undefined;
    }
    if (lease.slotsFree < 1) return undefined;
    const { grant, route } = lease;
    const estimate = req.estimate ?? { inputTokens: 0, maxOutputTokens: null };
    const cap = route.maxOutputTokens ?? null;
    // A cap above the model's is refused by policy, in its words.
    if (
      req.operation !== 'embeddings' &&
      cap !== null &&
      estimate.maxOutputTokens !== null &&
      estimate.maxOutputTokens > cap
    )
      return undefined;
    const call = callTokens(req.operation, estimate, { maxOutputTokens: cap, upstreamModel: route.upstreamModel });
    const tokens = grant.tokens === null ? 0 : counted(grant.tokenKinds, call.inputEstimate, call.outputBound);
    const worstCase = { inputTokens: call.inputBound, outputTokens: call.outputBound };
    const nanos = grant.nanos === null || !route.price ? 0 : worstCaseNanosOf(worstCase, route.price);
    if (tokens > lease.tokensLeft || nanos > lease.nanosLeft) return undefined;

    lease.requestsLeft--;
    lease.slotsFree--;
    lease.tokensLeft -= tokens;
    lease.nanosLeft -= nanos;
    lease.admitted++;
    lease.tokensUsed += tokens;
    lease.nanosUsed += nanos;
    lease.running++;
    this.#calls.set(req.callId, { lease, tokens, nanos });
    const renew =
      !lease.renewing &&
      now >= this.#renewalsFrom &&
      (lease.requestsLeft <= grant.requests / 4 || now >= lease.renewAt);
    if (renew) lease.renewing = true;
    const readings = grant.readings;
    const headers = rateLimitHeaders(
      readings.requests && { ...readings.requests, remaining: readings.requests.remaining - lease.admitted },
      readings.tokens && { ...readings.tokens, remaining: readings.tokens.remaining - lease.tokensUsed },
    );
    const budgetRemainingNanos =
      readings.budgetRemainingNanos === null ? null : Math.max(0, readings.budgetRemainingNanos - lease.nanosUsed);
    if (budgetRemainingNanos !== null) headers['x-sluice-budget-remaining-usd'] = formatNanoUsd(budgetRemainingNanos);
    const reply: AuthorizeReply = {
      allow: true,
      keyId: lease.keyId,
      keyName: lease.keyName,
      route: { ...route, outputCap: reservedOutputTokens(req.operation, estimate.maxOutputTokens, cap) },
      limits: {
        headers,
        reservedNanos: grant.nanos === null ? null : nanos,
        budgetRemainingNanos,
        leaseId: grant.leaseId,
      },
    };
    if (!grant.counted) return { reply, leaseId: grant.leaseId, ...(renew && { renew }) };
    // What policy would hold for the call had it admitted it: reported if policy restarts meanwhile.
    const ticket: ReservationTicket = {
      callId: req.callId,
      keyId: lease.keyId,
      admittedAt: Date.now(),
      tokens,
      reservedNanos: nanos,
      price: route.price!,
      worstCase,
      call: {
        model: req.model,
        upstreamModel: route.upstreamModel,
        providerId: route.providerId,
        operation: req.operation,
        clientIp: req.clientIp,
      },
    };
    return { reply, leaseId: grant.leaseId, ticket, ...(renew && { renew }) };
  }

  /**
   * Policy answered the renewal of lease `renewing` (a request of its own, `req`, sent at `sentAt`):
   * a lease in it replaces that lease (take) — unless three quarters of its life went by on the way
   * (its first call would ask again): it goes back unspent. A refusal on the key's own rules
   * (disabled, expired, a model it may no longer use) closes that lease; near a limit (refused, or
   * allowed without a lease) it is spent to its end, and its calls then go to policy one by one.
   */
  renewed(
    req: AuthorizeRequest,
    renewing: string,
    reply: AuthorizeReply,
    sentAt: number,
    now = performance.now(),
  ): void {
    if (reply.allow) {
      const grant = reply.limits?.lease;
      if (grant && now - sentAt >= (grant.validMs * 3) / 4) {
        if (grant.counted) this.handBack({ leaseId: grant.leaseId, keyId: reply.keyId, usages: [] });
        this.renewalUnanswered(now);
        return;
      }
      this.take(req, reply, sentAt);
      return;
    }
    const lease = this.#byShape.get(shapeOf(req));
    if (reply.error.rule === undefined && lease?.grant.leaseId === renewing) this.#close(lease);
  }

  /** A renewal went unanswered (or its successor came too late): none for RENEWAL_BACKOFF_MS. */
  renewalUnanswered(now = performance.now()): void {
    this.#renewalsFrom = now + RENEWAL_BACKOFF_MS;
  }

  /**
   * A lease in an allow reply to a request sent at `sentAt`: from now on this shape's calls spend
   * it (a previous one is closed). Its life counts from when the request left, as policy counts it
   * from its grant. A revocation of its key that arrived after the request left may have been
   * applied by policy after the grant: such a lease is handed back unspent.
   */
  take(req: AuthorizeRequest, reply: AuthorizeReply, sentAt = performance.now()): void {
    if (!reply.allow || !reply.limits?.lease) return;
    const grant = reply.limits.lease;
    if (this.#revocations.since(reply.keyId, sentAt)) {
      if (grant.counted) this.handBack({ leaseId: grant.leaseId, keyId: reply.keyId, usages: [] });
      return;
    }
    const shape = shapeOf(req);
    const previous = this.#byShape.get(shape);
    if (previous) this.#close(previous);
    const lease: Lease = {
      grant,
      shape,
      keyId: reply.keyId,
      keyName: reply.keyName,
      route: reply.route,
      partition: reply.partition,
      until: sentAt + grant.validMs,
      renewAt: sentAt + (grant.validMs * 3) / 4,
      requestsLeft: grant.requests,
      slotsFree: grant.slots ?? Number.POSITIVE_INFINITY,
      tokensLeft: grant.tokens ?? Number.POSITIVE_INFINITY,
      nanosLeft: grant.nanos ?? Number.POSITIVE_INFINITY,
      admitted: 0,
      tokensUsed: 0,
      nanosUsed: 0,
      running: 0,
      usages: [],
      open: true,
      renewing: false,
      returned: false,
    };
    this.#byShape.set(shape, lease);
    // Handed back soon after its life ends, so policy frees what it still holds.
    lease.timer = setTimeout(() => this.#close(lease), grant.validMs);
    lease.timer.unref();
    const reservation = reply.limits.reservation;
    if (req.callId && reservation)
      this.#granting.set(req.callId, { lease, tokens: reservation.tokens, nanos: reservation.reservedNanos });
  }

  /**
   * A call ended (its usage is final). Under a lease, what it held beyond what it used goes back to
   * the lease: its slot, its tokens and worst case less the real ones.
   */
  ended(usage: UsageMessage): void {
    const callId = usage.requestId;
    const granting = this.#granting.get(callId);
    if (granting) {
      this.#granting.delete(callId);
      granting.lease.tokensUsed += this.#tokensOf(granting.lease, usage) - granting.tokens;
      granting.lease.nanosUsed += (usage.costNanos ?? 0) - granting.nanos;
    }
    const call = this.#calls.get(callId);
    if (!call) return;
    this.#calls.delete(callId);
    const { lease } = call;
    const tokens = this.#tokensOf(lease, usage);
    const cost = lease.grant.nanos === null ? 0 : (usage.costNanos ?? 0);
    lease.slotsFree++;
    lease.tokensLeft += call.tokens - tokens;
    lease.nanosLeft += call.nanos - cost;
    lease.tokensUsed += tokens - call.tokens;
    lease.nanosUsed += cost - call.nanos;
    lease.running--;
    if (lease.grant.counted && !lease.returned) lease.usages.push(settlementOf(usage));
  }

  #tokensOf(lease: Lease, usage: UsageMessage): number {
    return lease.grant.tokens === null ? 0 : counted(lease.grant.tokenKinds, usage.inputTokens, usage.outputTokens);
  }

  /** Policy ended a key's leases (a change to it), or every lease (a change to what keys route to). */
  revoke(r: LeaseRevoke, now = performance.now()): void {
    const keyId = typeof r.keyId === 'string' ? r.keyId : undefined;
    this.#revocations.record(keyId, r.all === true, now);
    for (const lease of this.#byShape.values()) if (r.all === true || lease.keyId === r.keyId) this.#close(lease);
  }

  /**
   * NATS lost, a policy restarting, or the gateway stopping: nothing more is admitted under any
   * lease, nor under one that a reply to a request sent before now still brings (the policy that
   * granted it may be gone, or may not know of it).
   */
  closeAll(now = performance.now()): void {
    this.revoke({ all: true }, now);
  }

  get size(): number {
    return this.#byShape.size;
  }

  #close(lease: Lease): void {
    if (!lease.open) return;
    lease.open = false;
    clearTimeout(lease.timer);
    if (this.#byShape.get(lease.shape) === lease) this.#byShape.delete(lease.shape);
    // At once, even with calls running: policy keeps each of those reserved on its own (it was
    // told they started) and frees the rest, instead of the whole lease waiting for a long stream.
    this.#handBack(lease);
  }

  #handBack(lease: Lease): void {
    if (lease.returned) return;
    lease.returned = true;
    if (!lease.grant.counted) return;
    this.handBack({ leaseId: lease.grant.leaseId, keyId: lease.keyId, usages: lease.usages });
    lease.usages = [];
  }
}
