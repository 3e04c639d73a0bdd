import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { createDb, migrateToLatest, pingDb, type Database } from '@sluice/db';
import { connectedProbe, connectNats, ensureStreams, type NatsConnection } from '@sluice/messaging';
import { createLogger, env, envInt, type Readiness } from '@sluice/service';
import { meterOf, observeConnectivity } from '@sluice/telemetry';
import { meteringMigrations } from './db/migrations';
import { consumeUsage } from './record-usage/usage-consumer';
import { serveResponseStore } from './responses/response-store';
import { retentionMsOfDays } from './responses/stored-response-row';

export const logger = createLogger('metering');

/** Records every served call from the usage stream in Postgres, exactly once (see consumeUsage). */
@Injectable()
export class MeteringRuntime implements OnApplicationBootstrap, OnApplicationShutdown, Readiness {
  #db?: Kysely<Database>;
  #nc?: NatsConnection;
  #consumer?: { stop(): Promise<void> };
  #responses?: { stop(): Promise<void> };
  #ready = false;

  async onApplicationBootstrap(): Promise<void> {
    this.#db = createDb<Database>(env('DATABASE_URL'), {
      onPoolError: (err) => logger.warn({ err: err.message }, 'postgres connection dropped'),
    });
    await migrateToLatest(this.#db, meteringMigrations);
    this.#nc = await connectNats(env('NATS_URL', 'nats://127.0.0.1:4222'), 'metering');
    await ensureStreams(this.#nc);
    const db = this.#db;
    observeConnectivity(meterOf('metering'), { nats: connectedProbe(this.#nc), postgres: () => pingDb(db) });
    // At low rates a batch holds several calls only if it waits for them: one commit and one wake-up
    // per batch is most of metering's and Postgres' cost per call (docs/benchmarks.md).
    const batchWaitMs = envInt('SLUICE_METERING_BATCH_WAIT_MS', 100);
    this.#consumer = await consumeUsage(this.#nc, this.#db, logger, {
      maxBatch: envInt('SLUICE_METERING_BATCH', 256),
      maxWaitMs: batchWaitMs,
      ackWaitMs: envInt('SLUICE_METERING_ACK_WAIT_MS', 5000),
      maxDeliver: envInt('SLUICE_METERING_MAX_DELIVER', 20),
    });
    this.#responses = await serveResponseStore(this.#nc, this.#db, logger, {
      retentionMs: retentionMsOfDays(envInt('SLUICE_RESPONSES_RETENTION_DAYS', 30)),
      catchUpMs: envInt('SLUICE_RESPONSES_CATCH_UP_MS', 2000),
      batchWaitMs,
      purgeEveryMs: envInt('SLUICE_RESPONSES_PURGE_MS', 60_000),
    });
    this.#ready = true;
  }

  isReady(): boolean {
    return this.#ready && !this.#nc?.isClosed();
  }

  async onApplicationShutdown(): Promise<void> {
    this.#ready = false;
    await this.#consumer?.stop().catch(() => {});
    await this.#responses?.stop().catch(() => {});
    await this.#nc?.drain().catch(() => {});
    await this.#db?.destroy();
  }
}
