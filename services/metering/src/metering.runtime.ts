import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { Consumers, Streams, Subjects, UsageMessage } from '@sluice/contracts';
import { createDb, migrateToLatest, type Database } from '@sluice/db';
import { connectNats, consumeDurable, ensureStreams, type NatsConnection } from '@sluice/messaging';
import { createLogger, env, envInt, type Readiness } from '@sluice/service';
import { recordUsage } from './record-usage/record-usage';

export const logger = createLogger('metering');

/**
 * Consumes usage from JetStream with explicit acks and records each call in Postgres exactly once.
 * A message is acked only after its transaction commits; a crash before that redelivers it and
 * the unique request id turns the replay into a no-op.
 */
@Injectable()
export class MeteringRuntime implements OnApplicationBootstrap, OnApplicationShutdown, Readiness {
  #db?: Kysely<Database>;
  #nc?: NatsConnection;
  #consumer?: { stop(): Promise<void> };
  #ready = false;

  async onApplicationBootstrap(): Promise<void> {
    this.#db = createDb<Database>(env('DATABASE_URL'), { onPoolError: (err) => logger.warn({ err: err.message }, 'postgres connection dropped') });
    await migrateToLatest(this.#db);
    this.#nc = await connectNats(env('NATS_URL', 'nats://127.0.0.1:4222'), 'metering');
    await ensureStreams(this.#nc);
    const db = this.#db;
    this.#consumer = await consumeDurable(this.#nc, {
      stream: Streams.usage.name,
      durable: Consumers.meteringUsage,
      filterSubject: Subjects.usage,
      maxAckPending: 256,
      ackWaitMs: envInt('SLUICE_METERING_ACK_WAIT_MS', 5000),
      handler: async (msg) => {
        const parsed = UsageMessage.safeParse(msg.json());
        if (!parsed.success) {
          // Redelivering a message that can never be recorded would block nothing but fill the log.
          logger.error({ seq: msg.seq, issue: parsed.error.issues[0]?.message }, 'dropping a malformed usage message');
          return;
        }
        await recordUsage(db, parsed.data);
      },
      onError: (err) => logger.error({ err: err.message }, 'recording usage failed; it will be redelivered'),
    });
    this.#ready = true;
  }

  isReady(): boolean {
    return this.#ready && !this.#nc?.isClosed();
  }

  async onApplicationShutdown(): Promise<void> {
    this.#ready = false;
    await this.#consumer?.stop().catch(() => {});
    await this.#nc?.drain().catch(() => {});
    await this.#db?.destroy();
  }
}
