import type { Kysely } from 'kysely';
import {
  InFlightTicket,
  Streams,
  Subjects,
  usagesIn,
  type ReservationTicket,
  type UsageMessage,
} from '@sluice/contracts';
import { createDb, pingDb, relationsReadBy, waitForRelations, type Database } from '@sluice/db';
import { followStreamInBursts, requestAllParts, type NatsConnection } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import type { KeyTable } from '../keys/key-table';
import type { Partitioning } from '../partitioning';
import { lateUsageAction } from './late-usage';
import type { Limiter } from './limiter';
import { rebuildFromRecords } from './rebuild';
import { endsBefore, lookUpRecords, type RecordedCall, type RecordsCut } from './recorded-calls';
import { intakeUsage, type Ignored, type IntakeState } from './usage-intake';

const MINUTE = 60_000;

export interface UsageFollowerOptions {
  limiter: Limiter;
  keys: KeyTable;
  partitioning: Partitioning;
  logger: Logger;
  /** The reservation TTL: a call older than it that this process knows nothing of is looked up. */
  ttlMs: number;
  /** How far back from its start a restart replays the usage stream (the records count the calls that ended before). */
  overlapMs: number;
  /** How long to collect the gateways' reports of their calls in flight. */
  inFlightWaitMs: number;
  /** Where metering's records are; without it counters restart from the usage stream alone. */
  databaseUrl: string | undefined;
  /**
   * Once caught up, how often the usage stream is read (in one burst): the gateways' early
   * settlements settle live calls first, so the stream only settles what they missed.
   */
  streamBurstMs: number;
}

/**
 * Keeps the counters settled from usage. At a (re)start: calls that ended before a cut are summed
 * from metering's records in Postgres, calls still in flight are restored from the gateways, and the
 * usage stream is replayed from the cut (split on the same fact, the call's end); then the stream
 * and the gateways' early settlements over core NATS keep settling live calls.
 */
export class UsageFollower {
  #db?: Kysely<Database>;
  /** What the restart's sum of metering's records covered: set once it ran. */
  #cut?: RecordsCut;
  #stream?: { stop(): Promise<void> };
  readonly #intakeState: IntakeState;

  constructor(private readonly o: UsageFollowerOptions) {
    this.#intakeState = {
      limiter: o.limiter,
      keyById: (keyId) => o.keys.byId(keyId),
      owns: (keyId) => o.partitioning.owns(keyId),
    };
  }

  /**
   * Restores the counters and follows usage from then on; resolves once the replay caught up. A
   * replayed message that ended before the cut is not assumed to be in the sum: it is looked up, as
   * metering may have stored it only after the sum ran.
   */
  async start(nc: NatsConnection): Promise<void> {
    const { limiter, keys, partitioning, logger, databaseUrl } = this.o;
    const now = Date.now();
    const until = now - this.o.overlapMs;
    if (databaseUrl) {
      this.#db = createDb<Database>(databaseUrl, {
        onPoolError: (err) => logger.warn({ err: err.message }, 'postgres connection dropped'),
      });
      // Metering creates what policy reads of its records (usage_ledger); both may be starting.
      await waitForRelations(this.#db, relationsReadBy('policy'), {
        onWaiting: (missing) => logger.info({ missing }, "waiting for metering's usage records"),
      });
      const owned = [...keys.all()].filter((key) => partitioning.owns(key.keyId));
      const { cut, ...restored } = await rebuildFromRecords(this.#db, owned, limiter, until, now);
      this.#cut = cut;
      logger.info(restored, 'limit counters restored from recorded usage');
    } else {
      logger.warn('DATABASE_URL is not set: hour, day and budget counters restart from the usage stream alone');
    }
    await this.#restoreInFlight(nc);
    // A call ends before its usage is stored, so every call that ended from `until` on is in the
    // stream from `until` on.
    const stream = (this.#stream = await followStreamInBursts(nc, {
      everyMs: this.o.streamBurstMs,
      stream: Streams.usage.name,
      filterSubject: Subjects.usage,
      startTime: new Date(databaseUrl ? until : 0),
      handler: (msg) => {
        // Every call's usage passes here (one, or a gateway's batch); most keys have no limits and need nothing from it.
        const calls = usagesIn(msg.json());
        if (calls.length === 1) return this.#settleRaw(calls[0], msg.time.getTime());
        return this.#settleAll(calls, msg.time.getTime());
      },
      // Anything can be published on the stream: one message that is not usage must not stop settling.
      onError: (err, msg) =>
        logger.error({ seq: msg.seq, err: err.name }, 'skipped a usage message that could not be read'),
    }));
    await stream.caughtUp;
    this.#followEarlySettlements(nc);
  }

  /** Whether metering's records can be read (false until the restart opened them). */
  ping(): Promise<boolean> {
    return this.#db ? pingDb(this.#db) : Promise.resolve(false);
  }

  async stop(): Promise<void> {
    await this.#stream?.stop().catch(() => {});
  }

  /** After the NATS connection drained: nothing is looked up any more. */
  async close(): Promise<void> {
    await this.#db?.destroy().catch(() => {});
  }

  /**
   * Gateways send a call's usage over core NATS before its response's last bytes, so the call is
   * settled before its client can call again: a client calling one call after another near its
   * budget is never refused for a reservation its finished call still held. NATS keeps order per
   * connection, and near a limit the gateway has NATS confirm the settlement first, so it arrives
   * before that next call's authorize, through any gateway. JetStream's copy, read in the next
   * burst, finds the call settled; it settles only what this path missed (a policy that was
   * reconnecting, a message lost with a connection).
   */
  #followEarlySettlements(nc: NatsConnection): void {
    nc.subscribe(Subjects.rpc.policySettle, {
      callback: (_err, msg) => {
        let raw: unknown;
        try {
          raw = msg.json();
        } catch {
          return; // not JSON: the durable copy is the record
        }
        const u = this.#intake(raw, true);
        if (u) void this.#settle(u, Date.now());
      },
    });
  }

  #settleRaw(raw: unknown, publishedAt: number): void | Promise<void> {
    const u = this.#intake(raw, false);
    if (u) return this.#settle(u, publishedAt);
  }

  /**
   * A batch's calls in order: one that waits for a lookup holds back the ones after it. Each call
   * stands alone, as a message of its own would (one that fails is logged and the rest settle), and
   * the calls it ignores are logged in one line, so a forged batch cannot flood the log.
   */
  async #settleAll(calls: unknown[], publishedAt: number): Promise<void> {
    const ignored = new Map<Ignored, { count: number; first: unknown }>();
    for (const raw of calls) {
      try {
        const intake = intakeUsage(raw, this.#intakeState, false);
        if ('usage' in intake) await this.#settle(intake.usage, publishedAt);
        else if (intake.ignored !== null) {
          const seen = ignored.get(intake.ignored) ?? { count: 0, first: raw };
          seen.count++;
          ignored.set(intake.ignored, seen);
        }
      } catch (err) {
        this.o.logger.error({ err: (err as Error).message }, 'a usage message of a batch could not be settled');
      }
    }
    for (const [why, { count, first }] of ignored) this.#logIgnored(why, first, false, count);
  }

  /** The usage message to count, checked (usage-intake.ts); one that is refused is logged, never its body. */
  #intake(raw: unknown, early: boolean): UsageMessage | null {
    const intake = intakeUsage(raw, this.#intakeState, early);
    if ('usage' in intake) return intake.usage;
    if (intake.ignored !== null) this.#logIgnored(intake.ignored, raw, early, 1);
    return null;
  }

  #logIgnored(ignored: Ignored, raw: unknown, early: boolean, count: number): void {
    const { requestId, keyId } = raw as { requestId: string; keyId: string };
    const why =
      ignored === 'malformed' ? 'does not match its schema' : 'names another key than its call was admitted for';
    this.o.logger.warn(
      {
        requestId: requestId.slice(0, 200),
        keyId: keyId.slice(0, 200),
        via: early ? Subjects.rpc.policySettle : Subjects.usage,
        ...(count > 1 ? { messages: count } : {}),
      },
      `ignored a usage message that ${why}`,
    );
  }

  /**
   * Settles a call's usage (`publishedAt`: when this copy was published); only a rare message that
   * may repeat or correct an earlier record waits for a lookup.
   */
  #settle(u: UsageMessage, publishedAt: number): void | Promise<void> {
    const { limiter } = this.o;
    if (!this.#mayBeLate(u)) return limiter.settle(u, Date.now());
    return this.#recorded(u, publishedAt).then((record) => {
      const action = lateUsageAction(u, record);
      if (action === 'settle') limiter.settle(u, Date.now());
      else if (action === 'correct') limiter.correctRecordedSweep(u, record!, Date.now());
    });
  }

  /**
   * A usage message written again long after the first (a recovered gateway spool, a sweep racing
   * a very late report) passes JetStream's two-minute duplicate window; the real report of a call
   * swept before this process started (or long enough ago to be forgotten) must correct the sweep
   * rather than count the call again; and a call that ended before the restart's cut may or may not
   * be in its sum. Metering's record tells (lookUpRecords). Only such rare messages — flagged, ended
   * before the cut, or of a call older than the reservation TTL, that this process knows nothing
   * of — are looked up.
   */
  #mayBeLate(u: UsageMessage): boolean {
    const cut = this.#cut;
    if (cut === undefined || this.o.limiter.knows(u.requestId)) return false;
    return (
      u.swept === true ||
      u.recovered === true ||
      endsBefore(u, cut.until) ||
      Date.now() - Date.parse(u.startedAt) >= this.o.ttlMs
    );
  }

  async #recorded(u: UsageMessage, publishedAt: number): Promise<RecordedCall | undefined> {
    try {
      return (await lookUpRecords(this.#db!, [u.requestId], this.#cut!, publishedAt)).get(u.requestId);
    } catch {
      return undefined; // counted rather than lost: an overcount only tightens the key's limits
    }
  }

  /**
   * Calls admitted before a restart and still running: every gateway reports the reservations it
   * holds. Asked after the records were read and before the stream is replayed, so a call is either
   * still in flight (restored here, settled by its usage later) or already in the records or stream.
   */
  async #restoreInFlight(nc: NatsConnection): Promise<void> {
    const { limiter, partitioning, logger, inFlightWaitMs } = this.o;
    // A gateway with many calls in flight answers in several parts (one NATS message is bounded);
    // no gateway running (the usual case when the whole system starts) answers at once with nothing.
    const report = await requestAllParts<unknown>(nc, Subjects.gatewayInFlight, {
      maxWaitMs: inFlightWaitMs,
      completeWithinMs: 10 * inFlightWaitMs,
    });
    const owned = this.#wellFormed(report.items).filter((ticket) => partitioning.owns(ticket.keyId));
    const recorded = await this.#alreadyRecorded(owned.map((ticket) => ticket.callId));
    const now = Date.now();
    for (const ticket of owned) if (!recorded.has(ticket.callId)) limiter.restore(ticket, now);
    if (report.incomplete > 0)
      logger.warn({ gateways: report.incomplete }, 'some gateways did not report all their calls in flight');
    if (report.items.length > 0)
      logger.info(
        { tickets: report.items.length, gateways: report.responders, recorded: recorded.size },
        'reservations of calls in flight restored from the gateways',
      );
  }

  /**
   * Only well-formed tickets (InFlightTicket), admitted no later than now (a minute for the clocks):
   * a restored ticket holds a slot and a reservation, and a sweep charges its worst case. Only
   * gateways should be able to answer (deploy/README.md); this is what holds if someone else does.
   */
  #wellFormed(items: unknown[]): ReservationTicket[] {
    const latest = Date.now() + MINUTE;
    const tickets: ReservationTicket[] = [];
    for (const item of items) {
      const parsed = InFlightTicket.safeParse(item);
      if (parsed.success && parsed.data.admittedAt <= latest) tickets.push(parsed.data);
    }
    if (tickets.length < items.length)
      this.o.logger.warn(
        { ignored: items.length - tickets.length },
        'ignored calls in flight whose reservation ticket is not well-formed',
      );
    return tickets;
  }

  /**
   * Calls in flight that metering has a record of already: swept by an earlier process (still
   * running past the TTL), their reservation was charged and released. Restored, they would hold a
   * slot and be swept and charged again; their real report corrects the sweep instead.
   */
  async #alreadyRecorded(callIds: string[]): Promise<ReadonlySet<string>> {
    if (this.#db === undefined || this.#cut === undefined || callIds.length === 0) return new Set();
    try {
      return new Set((await lookUpRecords(this.#db, callIds, this.#cut, Date.now())).keys());
    } catch (err) {
      this.o.logger.warn(
        { err: (err as Error).message },
        "could not look up the calls in flight in metering's records; restoring them all",
      );
      return new Set();
    }
  }
}
