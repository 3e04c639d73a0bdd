import { jetstreamManager } from '@nats-io/jetstream';
import { type Kysely, sql } from 'kysely';
import { Consumers, Streams } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { loadCheckpoint, OUTBOX_CHECKPOINT } from '@sluice/event-store';
import type { NatsConnection } from '@sluice/messaging';

export interface Lag {
  /** Items waiting. */
  count: number;
  /** Age of the oldest one waiting, 0 when none waits. */
  seconds: number;
}

/** Past this many unpublished events the relay lag reads "at least this many": the count stays one cheap query. */
const MAX_COUNTED_EVENTS = 100_000;

/**
 * Usage messages metering has not recorded yet: its durable consumer's undelivered and unacked
 * messages, and how long the oldest of them has waited. Null when metering never created its consumer.
 */
export async function meteringLag(nc: NatsConnection, now: number): Promise<Lag | null> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.consumers.info(Streams.usage.name, Consumers.meteringUsage).catch(() => null);
  if (!info) return null;
  const count = info.num_pending + info.num_ack_pending;
  if (count === 0) return { count, seconds: 0 };
  // Everything at or below the ack floor is recorded: the next stored message is the oldest waiting.
  const oldest = await jsm.streams
    .getMessage(Streams.usage.name, { seq: info.ack_floor.stream_seq + 1 })
    .catch(() => null);
  return { count, seconds: oldest ? Math.max(0, now - oldest.time.getTime()) / 1000 : 0 };
}

/** Events committed to the log that the relay has not published to JetStream yet, and the oldest one's age. */
export async function relayLag(db: Kysely<Database>, now: number): Promise<Lag> {
  const checkpoint = await loadCheckpoint(db, OUTBOX_CHECKPOINT);
  const after = checkpoint
    ? sql`where (transaction_id, global_position) > (${checkpoint.transactionId}::xid8, ${checkpoint.globalPosition}::bigint)`
    : sql``;
  const { rows } = await sql<{ count: number; oldest: Date | null }>`
    select count(*)::int as count, min(recorded_at) as oldest
    from (select recorded_at from events ${after} limit ${MAX_COUNTED_EVENTS}) waiting`.execute(db);
  const { count, oldest } = rows[0];
  return { count, seconds: oldest ? Math.max(0, now - oldest.getTime()) / 1000 : 0 };
}
