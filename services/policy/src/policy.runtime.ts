import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { parseEvent, Streams, Subjects } from '@sluice/contracts';
import { createDb, type Database } from '@sluice/db';
import {
  connectedProbe,
  connectNats,
  ensureStreams,
  followStream,
  publishDurable,
  type NatsConnection,
} from '@sluice/messaging';
import { createLogger, env, envInt, type Readiness } from '@sluice/service';
import { meterOf, observeConnectivity } from '@sluice/telemetry';
import { ThresholdReporter } from './budgets/threshold-reporter';
import { Catalog } from './catalog/catalog';
import { KeyTable } from './keys/key-table';
import { DEFAULT_LEASES } from './limits/lease-size';
import { revocationOf } from './limits/lease-revocation';
import { Limiter } from './limits/limiter';
import { SETTLED_MEMORY_MS } from './limits/remembered-calls';
import { sweepReservations, sweptMessageId } from './limits/sweeper';
import { UsageFollower } from './limits/usage-follower';
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
  #usage?: UsageFollower;
  #logDb?: Kysely<Database>;
  #log?: LogFollower;
  #events?: { stop(): Promise<void> };
  #sweeper?: NodeJS.Timeout;
  #ready = false;
  #eventsLive = false;
  readonly #ttlMs = envInt('SLUICE_POLICY_RESERVATION_TTL_MS', 35 * MINUTE);
  /** How far back from its start a restart replays the usage stream (the records count the calls that ended before). */
  readonly #overlapMs = Math.max(2 * MINUTE, envInt('SLUICE_POLICY_REBUILD_OVERLAP_MS', 10 * MINUTE));

  constructor() {
    this.limiter = new Limiter(
      (keyId) => this.keys.byId(keyId),
      (key, percent, periodStart, spentNanos) => this.#reporter?.report(key, percent, periodStart, spentNanos),
      // A call is looked up in metering's records only once this process has forgotten it: by then
      // it is older than the TTL, and a copy that the replay brings may be the overlap older still.
      Math.max(SETTLED_MEMORY_MS, this.#ttlMs + this.#overlapMs),
    );
    this.metrics = new PolicyMetrics(this);
    // Off unless asked for while leases are new (docs/limits.md#leases).
    if (env('SLUICE_LEASES', '1') !== '0')
      this.limiter.leasing = {
        validMs: envInt('SLUICE_LEASE_MS', DEFAULT_LEASES.validMs),
        maxRequests: envInt('SLUICE_LEASE_MAX_REQUESTS', DEFAULT_LEASES.maxRequests),
      };
  }

  async onApplicationBootstrap(): Promise<void> {
    const nc = (this.#nc = await connectNats(env('NATS_URL', 'nats://127.0.0.1:4222'), 'policy'));
    await ensureStreams(nc);
    observeConnectivity(meterOf('policy'), { nats: connectedProbe(nc), ...this.#dbProbe() });
    this.#reporter = new ThresholdReporter(nc, logger);
    // Postgres is the record, JetStream the transport (docs/architecture.md#policy-follows-the-log-not-only-jetstream).
    this.#logDb = createDb<Database>(env('DATABASE_URL'), {
      max: 2,
      onPoolError: (err) => logger.warn({ err: err.message }, 'postgres connection dropped'),
    });
    const log = (this.#log = new LogFollower(
      postgresEventLog(this.#logDb),
      this.versions,
      (event) => this.#applyEvent(event),
      logger,
    ));
    // Subscribed before the log is read, so nothing committed in between is missed.
    this.#events = await followStream(nc, {
      stream: Streams.events.name,
      deliverNew: true,
      handler: (msg) => {
        // Which stream moved; the follower applies that stream's rows from the log, not this body.
        const event = msg.json<LogEvent>();
        if (typeof event?.streamId === 'string' && Number.isInteger(event.streamVersion)) return log.offer(event);
      },
    });
    await this.#readLogAtStart(log);
    // Events read at start were committed long ago: only those applied from now on measure the lag.
    this.#eventsLive = true;
    log.start(envInt('SLUICE_POLICY_LOG_CHECK_MS', 1000));
    // Counters restored from metering's records, the gateways' calls in flight and the usage stream
    // (limits/usage-follower.ts).
    this.#usage = new UsageFollower({
      limiter: this.limiter,
      keys: this.keys,
      partitioning: this.partitioning,
      logger,
      ttlMs: this.#ttlMs,
      overlapMs: this.#overlapMs,
      inFlightWaitMs: envInt('SLUICE_POLICY_IN_FLIGHT_WAIT_MS', 300),
      streamBurstMs: envInt('SLUICE_POLICY_USAGE_BURST_MS', 1000),
      databaseUrl: process.env.DATABASE_URL,
    });
    await this.#usage.start(nc);
    servePolicy(nc, this, logger);
    const ttlMs = this.#ttlMs;
    this.#sweeper = setInterval(
      () => {
        // Its own message id: the call's real report (id = call id) must not be dropped as its duplicate.
        void sweepReservations(this.limiter, Date.now(), ttlMs, (usage) =>
          publishDurable(nc, Subjects.usage, usage, sweptMessageId(usage.requestId)),
        ).then((n) => {
          this.metrics.swept(n);
          if (n > 0)
            logger.warn(
              { reservations: n },
              'calls never reported usage; charged their reserved worst case as an estimate',
            );
        });
      },
      Math.min(5000, Math.max(100, ttlMs / 4)),
    );
    this.#sweeper.unref();
    this.#ready = true;
    const { partitions, mine } = this.partitioning;
    logger.info(
      partitions > 1 ? { partition: mine, partitions } : {},
      'policy caught up with the event and usage streams and is answering',
    );
  }

  /** One event of the log, in its stream's order (LogFollower sees to that). */
  #applyEvent(published: LogEvent): void {
    let event: ReturnType<typeof parseEvent>;
    try {
      event = parseEvent(published);
    } catch (err) {
      logger.error(
        {
          streamId: published.streamId,
          version: published.streamVersion,
          type: published.type,
          err: (err as Error).message,
        },
        'event does not match its schema; skipped',
      );
      return;
    }
    if (!event) return;
    this.keys.apply(event);
    this.catalog.apply(event);
    // A change to a key, or to what keys route to, ends the leases it could change at once: the
    // gateways stop spending them before the admin's call has its answer (it waits on sync).
    const revoke = this.limiter.leasing && this.#eventsLive && this.#nc ? revocationOf(event) : null;
    if (revoke) this.#nc!.publish(Subjects.gatewayLeaseRevoke, JSON.stringify(revoke));
    if (this.#eventsLive) this.metrics.eventApplied(published.type, published.recordedAt, Date.now());
    if (event.type === 'KeyBudgetThresholdReached' && this.partitioning.owns(event.data.keyId)) {
      this.limiter.thresholdRecorded(
        event.data.keyId,
        Date.parse(event.data.periodStart),
        event.data.thresholdPercent,
        Date.now(),
      );
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

  /** Postgres is asked only when policy uses it (DATABASE_URL set): the database it restores counters from. */
  #dbProbe(): { postgres?: () => Promise<boolean> } {
    return process.env.DATABASE_URL ? { postgres: () => this.#usage?.ping() ?? Promise.resolve(false) } : {};
  }

  isReady(): boolean {
    return this.#ready && !this.#nc?.isClosed();
  }

  async onApplicationShutdown(): Promise<void> {
    this.#ready = false;
    clearInterval(this.#sweeper);
    await this.#log?.stop().catch(() => {});
    await this.#events?.stop().catch(() => {});
    await this.#usage?.stop();
    await this.#nc?.drain().catch(() => {});
    await this.#usage?.close();
    await this.#logDb?.destroy().catch(() => {});
  }
}
