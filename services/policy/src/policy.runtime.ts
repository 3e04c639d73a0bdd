import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { parseEvent, Streams, Subjects, UsageMessage, type PublishedEvent, type ReservationTicket } from '@sluice/contracts';
import { createDb, pingDb, type Database } from '@sluice/db';
import { connectedProbe, connectNats, ensureStreams, followStream, publishDurable, requestAllParts, type NatsConnection } from '@sluice/messaging';
import { createLogger, env, envInt, type Readiness } from '@sluice/service';
import { meterOf, observeConnectivity } from '@sluice/telemetry';
import { ThresholdReporter } from './budgets/threshold-reporter';
import { Catalog } from './catalog/catalog';
import { KeyTable } from './keys/key-table';
import { Limiter } from './limits/limiter';
import { endsBefore, rebuildFromRecords, recordedAlready } from './limits/rebuild';
import { sweepReservations } from './limits/sweeper';
import { Partitioning } from './partitioning';
import { servePolicy } from './policy.handlers';
import { AppliedVersions } from './sync/applied-versions';
import { PolicyMetrics } from './telemetry/policy-metrics';

export const logger = createLogger('policy');

const MINUTE = 60_000;

/**
 * Follows the event stream into memory and answers `authorize` from it; keeps every key's limit
 * counters (restored at start from Postgres and the usage stream) and settles them from usage. It
 * starts answering only once it has caught up with both: until then the gateway gets no responder
 * and refuses the call (fail closed).
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
  #followers: { stop(): Promise<void> }[] = [];
  #sweeper?: NodeJS.Timeout;
  #ready = false;

  constructor() {
    this.limiter = new Limiter(
      (keyId) => this.keys.byId(keyId),
      (model) => this.catalog.models.get(model)?.price,
      (key, percent, periodStart, spentUsd) => this.#reporter?.report(key, percent, periodStart, spentUsd),
    );
    this.metrics = new PolicyMetrics(this);
  }

  async onApplicationBootstrap(): Promise<void> {
    const nc = (this.#nc = await connectNats(env('NATS_URL', 'nats://127.0.0.1:4222'), 'policy'));
    await ensureStreams(nc);
    observeConnectivity(meterOf('policy'), { nats: connectedProbe(nc), ...(this.#dbProbe()) });
    this.#reporter = new ThresholdReporter(nc, logger);
    // Events replayed at start were committed long ago: only live ones measure the lag.
    let eventsLive = false;
    const events = await followStream(nc, {
      stream: Streams.events.name,
      handler: (msg) => {
        const published = msg.json<PublishedEvent>();
        const event = parseEvent(published);
        if (event) {
          this.keys.apply(event);
          this.catalog.apply(event);
          if (event.type === 'KeyBudgetThresholdReached' && this.partitioning.owns(event.data.keyId)) {
            this.limiter.thresholdRecorded(event.data.keyId, Date.parse(event.data.periodStart), event.data.thresholdPercent, Date.now());
          }
        }
        this.versions.applied(published.streamId, published.streamVersion);
        if (eventsLive) this.metrics.eventApplied(published.type, published.recordedAt, Date.now());
      },
    });
    this.#followers.push(events);
    await events.caughtUp;
    eventsLive = true;
    await this.#restoreCounters(nc);
    servePolicy(nc, this, logger);
    const ttlMs = envInt('SLUICE_POLICY_RESERVATION_TTL_MS', 35 * MINUTE);
    this.#sweeper = setInterval(() => {
      void sweepReservations(this.limiter, Date.now(), ttlMs, (usage) => publishDurable(nc, Subjects.usage, usage, usage.requestId)).then((n) => {
        this.metrics.swept(n);
        if (n > 0) logger.warn({ reservations: n }, 'calls never reported usage; charged their reserved worst case as an estimate');
      });
    }, Math.min(5000, Math.max(100, ttlMs / 4)));
    this.#sweeper.unref();
    this.#ready = true;
    const { partitions, mine } = this.partitioning;
    logger.info(partitions > 1 ? { partition: mine, partitions } : {}, 'policy caught up with the event and usage streams and is answering');
  }

  /**
   * Counters after a (re)start: calls that ended before `until` are summed from metering's records
   * in Postgres, the rest replayed from the usage stream (split on the same fact, the call's end),
   * which then keeps settling live.
   */
  async #restoreCounters(nc: NatsConnection): Promise<void> {
    const now = Date.now();
    const until = now - Math.max(2 * MINUTE, envInt('SLUICE_POLICY_REBUILD_OVERLAP_MS', 10 * MINUTE));
    const databaseUrl = process.env.DATABASE_URL;
    if (databaseUrl) {
      this.#db = createDb<Database>(databaseUrl, { onPoolError: (err) => logger.warn({ err: err.message }, 'postgres connection dropped') });
      const owned = [...this.keys.all()].filter((key) => this.partitioning.owns(key.keyId));
      const restored = await rebuildFromRecords(this.#db, owned, this.limiter, until, now);
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
        const u = msg.json<UsageMessage>();
        // Every call's usage passes here; most keys have no limits and need nothing from it.
        if (!this.#concerns(u)) return;
        if (databaseUrl && endsBefore(u, until) && !this.limiter.reservations.has(u.requestId)) return; // in the records
        // Only a rare flagged message waits for a lookup; every other one settles synchronously.
        if (!this.#mayBeLateDuplicate(u)) return this.limiter.settle(u, Date.now());
        return this.#recordedAlready(u).then((recorded) => {
          if (!recorded) this.limiter.settle(u, Date.now());
        });
      },
      // Anything can be published on the stream: one message that is not usage must not stop settling.
      onError: (err, msg) => logger.error({ seq: msg.seq, err: err.name }, 'skipped a usage message that could not be read'),
    });
    this.#followers.push(usage);
    await usage.caughtUp;
  }

  /** Whether this process counts anything for this usage message (a malformed one: no). */
  #concerns(u: UsageMessage): boolean {
    if (typeof u?.requestId !== 'string' || typeof u.keyId !== 'string' || !this.partitioning.owns(u.keyId)) return false;
    if (this.limiter.reservations.has(u.requestId)) return true;
    const key = this.keys.byId(u.keyId);
    if (!key || (!key.rateLimits && !key.budget)) return false;
    return UsageMessage.safeParse(u).success;
  }

  /**
   * A usage message written again long after the first (a recovered gateway spool, a sweep racing
   * a very late report) passes JetStream's two-minute duplicate window; if metering has recorded
   * that call already, it was counted already. Only such rare messages are looked up.
   */
  #mayBeLateDuplicate(u: UsageMessage): boolean {
    const late = u.swept === true || u.recovered === true;
    return late && this.#db !== undefined && !this.limiter.reservations.has(u.requestId) && !this.limiter.isSettled(u.requestId);
  }

  async #recordedAlready(u: UsageMessage): Promise<boolean> {
    try {
      return (await recordedAlready(this.#db!, [u.requestId])).has(u.requestId);
    } catch {
      return false; // counted rather than lost: an overcount only tightens the key's limits
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
    const report = await requestAllParts<ReservationTicket>(nc, Subjects.gatewayInFlight, { maxWaitMs, completeWithinMs: 10 * maxWaitMs });
    const now = Date.now();
    for (const ticket of report.items) if (this.partitioning.owns(ticket.keyId)) this.limiter.restore(ticket, now);
    if (report.incomplete > 0) logger.warn({ gateways: report.incomplete }, 'some gateways did not report all their calls in flight');
    if (report.items.length > 0) logger.info({ tickets: report.items.length, gateways: report.responders }, 'reservations of calls in flight restored from the gateways');
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
    for (const follower of this.#followers) await follower.stop().catch(() => {});
    await this.#nc?.drain().catch(() => {});
    await this.#db?.destroy().catch(() => {});
  }
}
