import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { InFlightTicket, parseEvent, Streams, Subjects, type ReservationTicket, type UsageMessage } from '@sluice/contracts';
import { createDb, pingDb, type Database } from '@sluice/db';
import { connectedProbe, connectNats, ensureStreams, followStream, publishDurable, requestAllParts, type NatsConnection } from '@sluice/messaging';
import { createLogger, env, envInt, type Readiness } from '@sluice/service';
import { meterOf, observeConnectivity } from '@sluice/telemetry';
import { ThresholdReporter } from './budgets/threshold-reporter';
import { Catalog } from './catalog/catalog';
import { KeyTable } from './keys/key-table';
import { lateUsageAction } from './limits/late-usage';
import { Limiter, SETTLED_MEMORY_MS } from './limits/limiter';
import { rebuildFromRecords } from './limits/rebuild';
import { endsBefore, lookUpRecords, type RecordedCall, type RecordsCut } from './limits/recorded-calls';
import { sweepReservations, sweptMessageId } from './limits/sweeper';
import { intakeUsage, type IntakeState } from './limits/usage-intake';
import { Partitioning } from './partitioning';
import { servePolicy } from './policy.handlers';
import { AppliedVersions } from './sync/applied-versions';
import { postgresEventLog, type LogEvent } from './sync/event-log';
import { LogFollower } from './sync/log-follower';
import { PolicyMetrics } from './telemetry/policy-metrics';

export const logger = createLogger('policy');

const MINUTE = 60_000;

/**
 * Reads the event log into memory (from Postgres at start, then each stream's new rows as JetStream
 * announces them — the message is a signal, never what is applied — with a periodic check against
 * Postgres for anything JetStream lost) and answers `authorize` from it;
 * keeps every key's limit counters (restored at start from Postgres and the usage stream) and
 * settles them from usage. It starts answering only once it has caught up with both: until then the
 * gateway gets no responder and refuses the call (fail closed).
 */
@Injectable()
export class PolicyRuntime implements OnApplicationBootstrap, OnApplicationShutdown, Readiness {
  readonly keys = new KeyTable();
  readonly catalog = new Catalog();
  readonly versions = new AppliedVersions();
  readonly limiter: Limiter;
  readonly partitioning = Partitioning.fromEnv(process.env);
  readonly metrics: PolicyMetrics;
  #reporter?: ThresholdReporter;
  #nc?: NatsConnection;
  #db?: Kysely<Database>;
  #logDb?: Kysely<Database>;
  #log?: LogFollower;
  #followers: { stop(): Promise<void> }[] = [];
  #sweeper?: NodeJS.Timeout;
  #ready = false;
  #eventsLive = false;
  readonly #ttlMs = envInt('SLUICE_POLICY_RESERVATION_TTL_MS', 35 * MINUTE);
  /** How far back from its start a restart replays the usage stream (the records count the calls that ended before). */
  readonly #overlapMs = Math.max(2 * MINUTE, envInt('SLUICE_POLICY_REBUILD_OVERLAP_MS', 10 * MINUTE));
  /** What the restart's sum of metering's records covered: set once it ran (DATABASE_URL set). */
  #cut?: RecordsCut;
  readonly #intakeState: IntakeState;

  constructor() {
    this.limiter = new Limiter(
      (keyId) => this.keys.byId(keyId),
      (key, percent, periodStart, spentNanos) => this.#reporter?.report(key, percent, periodStart, spentNanos),
      // A call is looked up in metering's records only once this process has forgotten it: by then
      // it is older than the TTL, and a copy that the replay brings may be the overlap older still.
      Math.max(SETTLED_MEMORY_MS, this.#ttlMs + this.#overlapMs),
    );
    this.#intakeState = { limiter: this.limiter, keyById: (keyId) => this.keys.byId(keyId), owns: (keyId) => this.partitioning.owns(keyId) };
    this.metrics = new PolicyMetrics(this);
  }

  async onApplicationBootstrap(): Promise<void> {
    const nc = (this.#nc = await connectNats(env('NATS_URL', 'nats://127.0.0.1:4222'), 'policy'));
    await ensureStreams(nc);
    observeConnectivity(meterOf('policy'), { nats: connectedProbe(nc), ...(this.#dbProbe()) });
    this.#reporter = new ThresholdReporter(nc, logger);
    // Postgres is the record, JetStream the transport (docs/architecture.md#policy-follows-the-log-not-only-jetstream).
    this.#logDb = createDb<Database>(env('DATABASE_URL'), { max: 2, onPoolError: (err) => logger.warn({ err: err.message }, 'postgres connection dropped') });
    const log = (this.#log = new LogFollower(postgresEventLog(this.#logDb), this.versions, (event) => this.#applyEvent(event), logger));
    // Subscribed before the log is read, so nothing committed in between is missed.
    const events = await followStream(nc, {
      stream: Streams.events.name,
      deliverNew: true,
      handler: (msg) => {
        // Which stream moved; the follower applies that stream's rows from the log, not this body.
        const event = msg.json<LogEvent>();
        if (typeof event?.streamId === 'string' && Number.isInteger(event.streamVersion)) return log.offer(event);
      },
    });
    this.#followers.push(events);
    await this.#readLogAtStart(log);
    // Events read at start were committed long ago: only those applied from now on measure the lag.
    this.#eventsLive = true;
    log.start(envInt('SLUICE_POLICY_LOG_CHECK_MS', 1000));
    await this.#restoreCounters(nc);
    this.#followEarlySettlements(nc);
    servePolicy(nc, this, logger);
    const ttlMs = this.#ttlMs;
    this.#sweeper = setInterval(() => {
      // Its own message id: the call's real report (id = call id) must not be dropped as its duplicate.
      void sweepReservations(this.limiter, Date.now(), ttlMs, (usage) => publishDurable(nc, Subjects.usage, usage, sweptMessageId(usage.requestId))).then((n) => {
        this.metrics.swept(n);
        if (n > 0) logger.warn({ reservations: n }, 'calls never reported usage; charged their reserved worst case as an estimate');
      });
    }, Math.min(5000, Math.max(100, ttlMs / 4)));
    this.#sweeper.unref();
    this.#ready = true;
    const { partitions, mine } = this.partitioning;
    logger.info(partitions > 1 ? { partition: mine, partitions } : {}, 'policy caught up with the event and usage streams and is answering');
  }

  /** One event of the log, in its stream's order (LogFollower sees to that). */
  #applyEvent(published: LogEvent): void {
    let event: ReturnType<typeof parseEvent>;
    try {
      event = parseEvent(published);
    } catch (err) {
      logger.error({ streamId: published.streamId, version: published.streamVersion, type: published.type, err: (err as Error).message }, 'event does not match its schema; skipped');
      return;
    }
    if (!event) return;
    this.keys.apply(event);
    this.catalog.apply(event);
    if (this.#eventsLive) this.metrics.eventApplied(published.type, published.recordedAt, Date.now());
    if (event.type === 'KeyBudgetThresholdReached' && this.partitioning.owns(event.data.keyId)) {
      this.limiter.thresholdRecorded(event.data.keyId, Date.parse(event.data.periodStart), event.data.thresholdPercent, Date.now());
    }
  }

  /** The whole log, before answering anything: retried until Postgres answers (not ready meanwhile). */
  async #readLogAtStart(log: LogFollower): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const events = await log.catchUpToNow();
        logger.info({ events }, 'key, provider and model events read from the log in Postgres');
        return;
      } catch (err) {
        if (attempt === 1) logger.warn({ err: (err as Error).message }, 'waiting for the event log in Postgres');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /**
   * Counters after a (re)start: calls that ended before `until` are summed from metering's records
   * in Postgres, the rest replayed from the usage stream (split on the same fact, the call's end),
   * which then keeps settling live. A replayed message that ended before the cut is not assumed to
   * be in the sum: it is looked up, as metering may have stored it only after the sum ran.
   */
  async #restoreCounters(nc: NatsConnection): Promise<void> {
    const now = Date.now();
    const until = now - this.#overlapMs;
    const databaseUrl = process.env.DATABASE_URL;
    if (databaseUrl) {
      this.#db = createDb<Database>(databaseUrl, { onPoolError: (err) => logger.warn({ err: err.message }, 'postgres connection dropped') });
      const owned = [...this.keys.all()].filter((key) => this.partitioning.owns(key.keyId));
      const { cut, ...restored } = await rebuildFromRecords(this.#db, owned, this.limiter, until, now);
      this.#cut = cut;
      logger.info(restored, 'limit counters restored from recorded usage');
    } else {
      logger.warn('DATABASE_URL is not set: hour, day and budget counters restart from the usage stream alone');
    }
    await this.#restoreInFlight(nc);
    // A call ends before its usage is stored, so every call that ended from `until` on is in the
    // stream from `until` on.
    const usage = await followStream(nc, {
      stream: Streams.usage.name,
      filterSubject: Subjects.usage,
      startTime: new Date(databaseUrl ? until : 0),
      handler: (msg) => {
        // Every call's usage passes here; most keys have no limits and need nothing from it.
        const u = this.#intake(msg.json(), false);
        if (u) return this.#settle(u, msg.time.getTime());
      },
      // Anything can be published on the stream: one message that is not usage must not stop settling.
      onError: (err, msg) => logger.error({ seq: msg.seq, err: err.name }, 'skipped a usage message that could not be read'),
    });
    this.#followers.push(usage);
    await usage.caughtUp;
  }

  /**
   * Gateways send a call's usage over core NATS before its response's last bytes (and flush), so
   * the call is settled before its client can call again: a client calling one call after another
   * near its budget is never refused for a reservation its finished call still held. NATS keeps
   * order per connection and the gateway flushed first, so it arrives before that next call's
   * authorize, through any gateway. JetStream's copy arrives later and finds the call settled.
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

  /** The usage message to count, checked (usage-intake.ts); one that is refused is logged, never its body. */
  #intake(raw: unknown, early: boolean): UsageMessage | null {
    const intake = intakeUsage(raw, this.#intakeState, early);
    if ('usage' in intake) return intake.usage;
    if (intake.ignored !== null) {
      const { requestId, keyId } = raw as { requestId: string; keyId: string };
      const why = intake.ignored === 'malformed' ? 'does not match its schema' : 'names another key than its call was admitted for';
      logger.warn({ requestId: requestId.slice(0, 200), keyId: keyId.slice(0, 200), via: early ? Subjects.rpc.policySettle : Subjects.usage }, `ignored a usage message that ${why}`);
    }
    return null;
  }


  /**
   * Settles a call's usage (`publishedAt`: when this copy was published); only a rare message that
   * may repeat or correct an earlier record waits for a lookup.
   */
  #settle(u: UsageMessage, publishedAt: number): void | Promise<void> {
    if (!this.#mayBeLate(u)) return this.limiter.settle(u, Date.now());
    return this.#recorded(u, publishedAt).then((record) => {
      const action = lateUsageAction(u, record);
      if (action === 'settle') this.limiter.settle(u, Date.now());
      else if (action === 'correct') this.limiter.correctRecordedSweep(u, record!, Date.now());
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
    if (cut === undefined || this.limiter.knows(u.requestId)) return false;
    return u.swept === true || u.recovered === true || endsBefore(u, cut.until) || Date.now() - Date.parse(u.startedAt) >= this.#ttlMs;
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
    // A gateway with many calls in flight answers in several parts (one NATS message is bounded);
    // no gateway running (the usual case when the whole system starts) answers at once with nothing.
    const maxWaitMs = envInt('SLUICE_POLICY_IN_FLIGHT_WAIT_MS', 300);
    const report = await requestAllParts<unknown>(nc, Subjects.gatewayInFlight, { maxWaitMs, completeWithinMs: 10 * maxWaitMs });
    const owned = this.#wellFormed(report.items).filter((ticket) => this.partitioning.owns(ticket.keyId));
    const recorded = await this.#alreadyRecorded(owned.map((ticket) => ticket.callId));
    const now = Date.now();
    for (const ticket of owned) if (!recorded.has(ticket.callId)) this.limiter.restore(ticket, now);
    if (report.incomplete > 0) logger.warn({ gateways: report.incomplete }, 'some gateways did not report all their calls in flight');
    if (report.items.length > 0) logger.info({ tickets: report.items.length, gateways: report.responders, recorded: recorded.size }, 'reservations of calls in flight restored from the gateways');
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
    if (tickets.length < items.length) logger.warn({ ignored: items.length - tickets.length }, 'ignored calls in flight whose reservation ticket is not well-formed');
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
      logger.warn({ err: (err as Error).message }, 'could not look up the calls in flight in metering\'s records; restoring them all');
      return new Set();
    }
  }

  /** Postgres is asked only when policy uses it (DATABASE_URL set): the database it restores counters from. */
  #dbProbe(): { postgres?: () => Promise<boolean> } {
    return process.env.DATABASE_URL ? { postgres: () => (this.#db ? pingDb(this.#db) : Promise.resolve(false)) } : {};
  }

  isReady(): boolean {
    return this.#ready && !this.#nc?.isClosed();
  }

  async onApplicationShutdown(): Promise<void> {
    this.#ready = false;
    clearInterval(this.#sweeper);
    await this.#log?.stop().catch(() => {});
    for (const follower of this.#followers) await follower.stop().catch(() => {});
    await this.#nc?.drain().catch(() => {});
    await this.#db?.destroy().catch(() => {});
    await this.#logDb?.destroy().catch(() => {});
  }
}
