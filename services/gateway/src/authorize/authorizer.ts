import { randomUUID } from 'node:crypto';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  DomainError,
  ErrorCodes,
  Subjects,
  type AccessReply,
  type AccessRequest,
  type AuthorizeReply,
  type AuthorizeRequest,
  type CheckKeyReply,
  type CheckKeyRequest,
  type LeasedCall,
  type ListModelsReply,
  type ListModelsRequest,
  type LeaseRevoke,
  type OpenAiError,
  type UsageMessage,
} from '@sluice/contracts';
import { request, respondInParts, type ReplyLogger } from '@sluice/messaging';
import { GatewayErrors } from '../errors/gateway-errors';
import { InFlightCalls } from './in-flight-calls';
import { LeasePool } from './lease-pool';

export const AUTHORIZE_TIMEOUT_MS = 2000;
/** The most lease-call notices in one message: far under max_payload, and under what policy reads of one. */
export const NOTICES_PER_MESSAGE = 256;
/** Keys whose partition a gateway remembers; past that it starts over (one forwarded call per key). */
const MAX_KNOWN_PARTITIONS = 100_000;

/**
 * The one NATS round trip of the hot path. A missing or late policy service is a 503, never an
 * allow: the gateway fails closed. Only the key's hash travels.
 */
export class Authorizer {
  readonly inFlight = new InFlightCalls();
  /** Slices of keys' limits policy leased us: calls that fit one are admitted without asking. */
  readonly leases: LeasePool;
  /** Which policy partition owns a key (by the secret's hash), learnt from its replies. */
  readonly #partitions = new Map<string, number>();
  /** Names this process's in-flight report, so an asker can tell the parts of two gateways apart. */
  readonly #id = randomUUID();
  /** The lease-call notices of this event-loop turn, sent together at its end. */
  #notices: LeasedCall[] = [];
  #turnEnd: NodeJS.Immediate | undefined;
  /** With a notice delay: the leased calls started since the last notices were sent, by call id. */
  readonly #delayed = new Map<string, LeasedCall>();
  #delayEnd: NodeJS.Timeout | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = AUTHORIZE_TIMEOUT_MS,
    /** Sends the usage waiting for its batch: a lease's return must not overtake its calls' durable copies. */
    sendUsageNow: () => void = () => {},
    /** False: every notice in a message of its own (a rolling upgrade from a policy that reads no arrays). */
    private readonly batchNotices = true,
    /**
     * 0: a leased call is told to policy before it asks its upstream. Above: only the calls still
     * running this long after they started are told, together (SLUICE_GATEWAY_LEASE_NOTICE_MS).
     */
    private readonly noticeDelayMs = 0,
  ) {
    this.leases = new LeasePool((returned) => {
      try {
        this.sendNotices(); // policy learns of a lease's calls before it has the lease back
        if (returned.usages.length > 0) sendUsageNow();
        if (!nc.isClosed()) nc.publish(Subjects.rpc.policyLeaseReturn, JSON.stringify(returned));
      } catch {
        // Draining, or past max_payload: policy sweeps the lease; its calls' usage is on the stream.
      }
    });
    nc.subscribe(Subjects.gatewayLeaseRevoke, {
      callback: (err, msg) => {
        if (err) return;
        try {
          this.leases.revoke(msg.json<LeaseRevoke>());
        } catch {
          this.leases.closeAll(); // unreadable: ending every lease is the safe reading
        }
      },
    });
    void this.#dropLeasesOnDisconnect();
  }

  /** Without NATS no revocation can reach us: no call is admitted under a lease until policy is asked again. */
  async #dropLeasesOnDisconnect(): Promise<void> {
    for await (const status of this.nc.status()) if (status.type === 'disconnect') this.leases.closeAll();
  }

  async authorize(req: AuthorizeRequest, traceparent?: string): Promise<AuthorizeReply> {
    const leased = this.leases.admit(req);
    if (leased) {
      const reply = this.#startLeased(leased);
      if (leased.renew) this.#renew(req, leased.leaseId, traceparent);
      return reply;
    }
    const sentAt = performance.now();
    try {
      const reply = await this.#askPolicy(req, traceparent);
      if (reply.allow && reply.limits?.reservation) this.inFlight.hold(reply.limits.reservation);
      if (reply.allow && reply.limits?.lease) this.leases.take(req, reply, sentAt);
      return reply;
    } catch (err) {
      return { allow: false, error: rpcFailure(err) };
    }
  }

  /**
   * Asks policy for the successor of lease `leaseId`, nearly spent or old, for a call admitted under
   * it: in the background, so no call waits for the round trip a lease is there to save. Policy
   * counts nothing for it (the call is counted in the lease); the request has an id of its own,
   * which names the new lease. A policy too old to know `renews` counts it as a call: that is
   * cancelled at once (released uncharged) and its lease not taken.
   */
  #renew(req: AuthorizeRequest, leaseId: string, traceparent?: string): void {
    const ask: AuthorizeRequest = { ...req, callId: `${req.callId}.renew`, renews: leaseId };
    const sentAt = performance.now();
    void this.#askPolicy(ask, traceparent)
      .then((reply) => {
        if (reply.allow && reply.limits?.reservation) this.#cancel(ask.callId!);
        else this.leases.renewed(ask, leaseId, reply, sentAt);
      })
      // Unanswered: #askPolicy cancelled it, and policy is given a rest from renewals. Nothing else
      // throws; were it to, the lease would only go unrenewed, never the gateway down.
      .catch(() => this.leases.renewalUnanswered());
  }

  /**
   * An authorize request, straight to the owner of the key's partition once known (otherwise any
   * policy process, which forwards to the owner). Unanswered, the partition is forgotten (the owner
   * may be gone or the partitions re-cut) and the request cancelled: policy may have admitted it and
   * replied too late, and must not hold what no call of ours uses.
   */
  async #askPolicy(req: AuthorizeRequest, traceparent?: string): Promise<AuthorizeReply> {
    const partition = this.#partitions.get(req.keyHash);
    const subject = partition === undefined ? Subjects.rpc.authorize : Subjects.rpc.authorizeIn(partition);
    try {
      const reply = await request<AuthorizeReply>(this.nc, subject, req, {
        timeoutMs: this.timeoutMs,
        trace: { requestId: req.requestId, traceparent },
      });
      if (reply.partition !== undefined && reply.partition !== partition) this.#learn(req.keyHash, reply.partition);
      return reply;
    } catch (err) {
      if (partition !== undefined) this.#partitions.delete(req.keyHash);
      if (req.callId) this.#cancel(req.callId);
      throw err;
    }
  }

  #cancel(callId: string): void {
    try {
      if (!this.nc.isClosed()) this.nc.publish(Subjects.rpc.policyCancel, JSON.stringify({ callId }));
    } catch {
      // Draining: policy sweeps what it holds for it (a lease: its life plus the reservation TTL later).
    }
  }

  #startLeased(leased: NonNullable<ReturnType<LeasePool['admit']>>): AuthorizeReply {
    if (leased.ticket) {
      this.inFlight.hold(leased.ticket);
      this.#tellStarted({ leaseId: leased.leaseId, ticket: leased.ticket });
    }
    return leased.reply;
  }

  /**
   * Tells policy a leased call started, no reply waited for, so a gateway that dies with the call
   * running — and whose spool dies with it — leaves policy a call to sweep, as an authorized one
   * would; and so the key's live view counts the call in flight. The calls admitted in one
   * event-loop turn (many, under load) go together in one message as it ends — before any of them
   * asks its upstream: the usage spool sends them first (`sendTurnNotices`) when it writes the
   * turn's begin records, which every call waits for before it goes on.
   *
   * With a notice delay (a gateway whose spool outlives it: its successor reports what it left), a
   * call is told only if it is still running `noticeDelayMs` after the first call not yet told
   * started: most calls end before, and cost policy and NATS nothing. A lease handed back sends its
   * calls' notices first, so policy holds the calls still running as reservations of their own.
   */
  #tellStarted(notice: LeasedCall): void {
    if (this.noticeDelayMs > 0) {
      this.#delayed.set(notice.ticket.callId, notice);
      this.#delayEnd ??= setTimeout(() => this.sendNotices(), this.noticeDelayMs);
      return;
    }
    if (!this.batchNotices) {
      this.#publishNotices(notice);
      return;
    }
    // However many calls one turn admits (a client pipelining hundreds), no message outgrows what policy reads.
    if (this.#notices.push(notice) >= NOTICES_PER_MESSAGE) this.#publishNotices(this.#notices.splice(0));
    this.#turnEnd ??= setImmediate(() => this.sendTurnNotices());
  }

  /** Sends the notices of this turn's leased calls now (none are kept for a turn with a notice delay). */
  sendTurnNotices(): void {
    clearImmediate(this.#turnEnd);
    this.#turnEnd = undefined;
    if (this.#notices.length === 0) return;
    const notices = this.#notices;
    this.#notices = [];
    this.#publishNotices(notices);
  }

  /** Sends every notice not sent yet: this turn's, and the delayed ones of calls still running. */
  sendNotices(): void {
    this.sendTurnNotices();
    clearTimeout(this.#delayEnd);
    this.#delayEnd = undefined;
    if (this.#delayed.size === 0) return;
    const notices = [...this.#delayed.values()];
    this.#delayed.clear();
    if (!this.batchNotices) for (const notice of notices) this.#publishNotices(notice);
    else
      for (let i = 0; i < notices.length; i += NOTICES_PER_MESSAGE)
        this.#publishNotices(notices.slice(i, i + NOTICES_PER_MESSAGE));
  }

  #publishNotices(notices: LeasedCall | LeasedCall[]): void {
    try {
      if (!this.nc.isClosed()) this.nc.publish(Subjects.rpc.policyLeaseCall, JSON.stringify(notices));
    } catch {
      // Draining (the gateway is stopping; its calls' usage is in the spool for its successor), or
      // past an operator's max_payload: policy sweeps the lease whole, the calls' usage is on the stream.
    }
  }

  #learn(keyHash: string, partition: number): void {
    if (this.#partitions.size >= MAX_KNOWN_PARTITIONS) this.#partitions.clear();
    this.#partitions.set(keyHash, partition);
  }

  /**
   * Answers a starting policy's question: which of our calls hold a reservation. One ticket per
   * limited call in flight (~2,400 make 1 MB), so the answer comes in as many parts as the server's
   * max_payload needs, and the asker collects them all.
   */
  answerInFlight(logger?: ReplyLogger): Subscription {
    return this.nc.subscribe(Subjects.gatewayInFlight, {
      callback: (err, msg) => {
        if (err) return;
        // A restarting policy lost the leases it granted: stop spending them, and report their calls
        // in flight as ordinary tickets (the restarted process holds them like calls it admitted).
        this.leases.closeAll();
        respondInParts(this.nc, msg, this.#id, this.inFlight.tickets(), logger);
      },
    });
  }

  /**
   * The key-only rules, before a large body is read; a call it allows is still authorized once the
   * body is in. Policy answers it with the first step of `access` (no operation: the body names it).
   */
  checkKey(req: CheckKeyRequest): Promise<CheckKeyReply> {
    return this.#ask(Subjects.rpc.checkKey, req);
  }

  /** The key's own rules (and a model's route) for a call that generates nothing; nothing is counted. */
  access(req: AccessRequest): Promise<AccessReply> {
    return this.#ask(Subjects.rpc.policyAccess, req);
  }

  listModels(req: ListModelsRequest): Promise<ListModelsReply> {
    return this.#ask(Subjects.rpc.listModels, req);
  }

  /**
   * A call's usage is final: policy learns of it from the stream now (a notice not sent yet never
   * is), and a lease gets back what it did not use.
   */
  callEnded(usage: UsageMessage): void {
    this.#delayed.delete(usage.requestId);
    this.inFlight.release(usage.requestId);
    this.leases.ended(usage);
  }

  /** A question any policy process answers (nothing is counted); no answer is a refusal, never an allow. */
  async #ask<R>(subject: string, req: { requestId: string }): Promise<R | { allow: false; error: OpenAiError }> {
    try {
      return await request<R>(this.nc, subject, req, {
        timeoutMs: this.timeoutMs,
        trace: { requestId: req.requestId },
      });
    } catch (err) {
      return { allow: false, error: rpcFailure(err) };
    }
  }
}

function rpcFailure(err: unknown): OpenAiError {
  if (err instanceof DomainError && err.code !== ErrorCodes.unavailable) return GatewayErrors.internal;
  return GatewayErrors.authorizeUnavailable;
}
