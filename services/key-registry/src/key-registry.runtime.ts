import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { createDb, migrateToLatest, type Database } from '@sluice/db';
import { type Relay, Sealer } from '@sluice/event-store';
import { connectNats, ensureStreams, type NatsConnection } from '@sluice/messaging';
import { systemResolver, UpstreamAllowList } from '@sluice/net-policy';
import { createLogger, env, type Readiness } from '@sluice/service';
import { registerNatsHandlers } from './nats-handlers';
import { parseKeks } from './providers/vault/envelope';
import { createJetStreamRelay } from './relay/jetstream-relay';
import { randomId } from './shared/deps';

export const logger = createLogger('key-registry');

const sealerLogger = {
  info: (msg: string, fields?: Record<string, unknown>) => logger.info(fields ?? {}, msg),
  warn: (msg: string, fields?: Record<string, unknown>) => logger.warn(fields ?? {}, msg),
  error: (msg: string, fields?: Record<string, unknown>) => logger.error(fields ?? {}, msg),
};

/** Owns the process's connections: Postgres, NATS, the command handlers, the relay and the chain sealer. */
@Injectable()
export class KeyRegistryRuntime implements OnApplicationBootstrap, OnApplicationShutdown, Readiness {
  #db?: Kysely<Database>;
  #nc?: NatsConnection;
  #relay?: Relay;
  #sealer?: Sealer;
  #ready = false;

  async onApplicationBootstrap(): Promise<void> {
    const databaseUrl = env('DATABASE_URL');
    const keks = parseKeks(process.env.SLUICE_MASTER_KEY, process.env.SLUICE_MASTER_KEYS);
    const upstream = { allow: UpstreamAllowList.parse(process.env.SLUICE_UPSTREAM_ALLOW), resolve: systemResolver };
    this.#db = createDb<Database>(databaseUrl, { onPoolError: (err) => logger.warn({ err: err.message }, 'postgres connection dropped') });
    await migrateToLatest(this.#db);
    this.#nc = await connectNats(env('NATS_URL', 'nats://127.0.0.1:4222'), 'key-registry');
    await ensureStreams(this.#nc);
    registerNatsHandlers(this.#nc, { db: this.#db, keks, upstream, now: () => new Date(), newId: randomId }, logger);
    this.#relay = createJetStreamRelay(this.#db, databaseUrl, this.#nc, logger);
    this.#relay.start();
    this.#sealer = new Sealer({ db: this.#db, databaseUrl, pollMs: 250, logger: sealerLogger });
    this.#sealer.start();
    this.#ready = true;
  }

  isReady(): boolean {
    return this.#ready && !this.#nc?.isClosed();
  }

  async onApplicationShutdown(): Promise<void> {
    this.#ready = false;
    await this.#relay?.stop();
    await this.#sealer?.stop();
    await this.#nc?.drain().catch(() => {});
    await this.#db?.destroy();
  }
}
