import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { Consumers, Streams, Subjects, UsageMessage } from '@sluice/contracts';
import { createDb, migrateToLatest, type Database } from '@sluice/db';
import { connectNats, consumeDurableBatches, ensureStreams, type JsMsg, type NatsConnection } from '@sluice/messaging';
import { createLogger, env, envInt, type Readiness } from '@sluice/service';
import { recordUsageBatch } from './record-usage/record-usage';

export const logger = createLogger('metering');

/**
 * Consumes usage from JetStream with explicit acks and records each call in Postgres exactly once.
 * Messages are recorded in batches, one transaction each, and acked only after it commits; a crash
 * before that redelivers them and the unique request id turns the replay into a no-op.
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
    this.#consumer = await consumeDurableBatches(this.#nc, {
      stream: Streams.usage.name,
      durable: Consumers.meteringUsage,
      filterSubject: Subjects.usage,
      maxBatch: envInt('SLUICE_METERING_BATCH', 256),
      maxWaitMs: envInt('SLUICE_METERING_BATCH_WAIT_MS', 5),
      ackWaitMs: envInt('SLUICE_METERING_ACK_WAIT_MS', 5000),
      handler: async (msgs) => {
        const batch: UsageMessage[] = [];
        for (const msg of msgs) {
          const parsed = UsageMessage.safeParse(jsonOf(msg));
          if (parsed.success) {
            batch.push(parsed.data);
            if (parsed.data.costNanos === undefined && parsed.data.costUsd === undefined) {
              logger.warn({ requestId: parsed.data.requestId, model: parsed.data.model }, 'usage message without a cost (its route had no price): recorded at cost 0');
            }
          }
          // Redelivering a message that can never be recorded would block nothing but fill the log.
          else logger.error({ seq: msg.seq, issue: parsed.error.issues[0]?.message }, 'dropping a malformed usage message');
        }
        await recordUsageBatch(db, batch);
      },
      onError: (err, msgs) => logger.error({ err: err.message, messages: msgs.length }, 'recording a usage batch failed; it will be redelivered'),
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

/** Not JSON parses as nothing, so one corrupt message is dropped instead of failing its batch forever. */
function jsonOf(msg: JsMsg): unknown {
  try {
    return msg.json();
  } catch {
    return undefined;
  }
}
