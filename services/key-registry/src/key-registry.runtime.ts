import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { createDb, migrateToLatest, pingDb, type Database } from '@sluice/db';
import { type OutboxPublisher, Sealer, storeLoggerOf } from '@sluice/event-store';
import { connectedProbe, connectNats, ensureStreams, type NatsConnection } from '@sluice/messaging';
import { systemResolver, UpstreamAllowList } from '@sluice/net-policy';
import { createLogger, env, envInt, type Readiness } from '@sluice/service';
import { keyRegistryMigrations } from './db/migrations';
import { sealLegacyWebhookUrls } from './keys/legacy-webhook-urls';
import { meterOf, observeConnectivity } from '@sluice/telemetry';
import { BudgetResetLoop } from './keys/reset-budget-period/budget-reset-loop';
import { readWebhookUrl } from './keys/webhook-vault';
import { registerNatsHandlers } from './nats-handlers';
import { holdBudgetNotifications, startBudgetNotifier } from './notifications/budget-notifier';
import { WebhookSender } from './notifications/webhook-sender';
import { parseKeks } from './providers/vault/envelope';
import { createJetStreamOutbox, LOG_FALLBACK_POLL_MS } from './outbox/jetstream-outbox';
import { randomId } from './shared/deps';

export const logger = createLogger('key-registry');

const storeLogger = storeLoggerOf(logger);

/**
 * Owns the process's connections: Postgres, NATS, the command handlers, the outbox publisher, the chain
 * sealer, the budget reset loop and the budget webhook notifier.
 */
@Injectable()
export class KeyRegistryRuntime implements OnApplicationBootstrap, OnApplicationShutdown, Readiness {
  #db?: Kysely<Database>;
  #nc?: NatsConnection;
  #outbox?: OutboxPublisher;
  #sealer?: Sealer;
  #budgetResets?: BudgetResetLoop;
  #webhooks?: WebhookSender;
  #notifier?: { stop(): Promise<void> };
  #ready = false;

  async onApplicationBootstrap(): Promise<void> {
    const databaseUrl = env('DATABASE_URL');
    const keks = parseKeks(process.env.SLUICE_MASTER_KEY, process.env.SLUICE_MASTER_KEYS);
    const upstream = { allow: UpstreamAllowList.parse(process.env.SLUICE_UPSTREAM_ALLOW), resolve: systemResolver };
    this.#db = createDb<Database>(databaseUrl, {
      onPoolError: (err) => logger.warn({ err: err.message }, 'postgres connection dropped'),
    });
    await migrateToLatest(this.#db, keyRegistryMigrations);
    this.#nc = await connectNats(env('NATS_URL', 'nats://127.0.0.1:4222'), 'key-registry');
    await ensureStreams(this.#nc);
    const db = this.#db;
    observeConnectivity(meterOf('key-registry'), { nats: connectedProbe(this.#nc), postgres: () => pingDb(db) });
    const deps = { db: this.#db, keks, upstream, now: () => new Date(), newId: randomId };
    const sealed = await sealLegacyWebhookUrls(deps);
    if (sealed > 0)
      logger.info(
        { keys: sealed },
        'budget webhook URLs an older version kept in plain text are now sealed in the vault',
      );
    registerNatsHandlers(this.#nc, deps, logger);
    this.#outbox = createJetStreamOutbox(this.#db, databaseUrl, this.#nc, logger);
    this.#outbox.start();
    this.#sealer = new Sealer({ db: this.#db, databaseUrl, pollMs: LOG_FALLBACK_POLL_MS, logger: storeLogger });
    this.#sealer.start();
    this.#budgetResets = new BudgetResetLoop({
      deps,
      databaseUrl,
      intervalMs: envInt('SLUICE_BUDGET_RESET_INTERVAL_MS', 5000),
      logger: storeLogger,
    });
    this.#budgetResets.start();
    const webhookSecret = process.env.SLUICE_WEBHOOK_SECRET;
    if (webhookSecret) {
      this.#webhooks = new WebhookSender({ allow: upstream.allow, resolve: upstream.resolve, secret: webhookSecret });
      const db = this.#db;
      this.#notifier = await startBudgetNotifier({
        nc: this.#nc,
        db,
        sender: this.#webhooks,
        webhookUrlOf: (keyId) => readWebhookUrl(db, keks, keyId),
        globalUrl: process.env.SLUICE_BUDGET_WEBHOOK_URL || null,
        logger,
      });
    } else {
      // Never an unsigned delivery: the notifications wait in JetStream until a key-registry with a secret runs.
      await holdBudgetNotifications(this.#nc);
      logger.error(
        'SLUICE_WEBHOOK_SECRET is not set: budget webhooks are not sent (every delivery is signed); they are kept and sent once a key-registry with the secret runs',
      );
    }
    this.#ready = true;
  }

  isReady(): boolean {
    return this.#ready && !this.#nc?.isClosed();
  }

  async onApplicationShutdown(): Promise<void> {
    this.#ready = false;
    await this.#outbox?.stop();
    await this.#sealer?.stop();
    await this.#budgetResets?.stop();
    await this.#notifier?.stop();
    await this.#webhooks?.close();
    await this.#nc?.drain().catch(() => {});
    await this.#db?.destroy();
  }
}
