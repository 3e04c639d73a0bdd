import { type Kysely, sql } from 'kysely';
import { eventColumns, type EventStoreDb, toRecordedEvent } from './event-rows';
import type { LogPosition, RecordedEvent } from './types';

export interface ReadAllOptions {
  /** Exclusive; null reads from the start of the log. */
  after: LogPosition | null;
  limit: number;
}

/**
 * Committed events of every stream in (transactionId, globalPosition) order, after `after`.
 * Do not call it inside a transaction that has written anything: its own transaction id would
 * hold the xmin below back and it would read nothing new.
 */
export async function readAll(db: Kysely<any>, { after, limit }: ReadAllOptions): Promise<RecordedEvent[]> {
  let query = (db as EventStoreDb)
    .selectFrom('events')
    .select(eventColumns)
    // A transaction that began earlier can commit later with a lower global_position. Reading only
    // transactions below the oldest one still in flight (the snapshot's xmin) guarantees nothing
    // can later appear below the cursor, so a follower never skips a late commit.
    .where('transaction_id', '<', sql<string>`pg_snapshot_xmin(pg_current_snapshot())`)
    .orderBy('transaction_id')
    .orderBy('global_position')
    .limit(limit);
  if (after) {
    query = query.where(
      sql`(transaction_id, global_position)`,
      '>',
      sql`(${after.transactionId}::xid8, ${after.globalPosition}::bigint)`,
    );
  }
  const rows = await query.execute();
  return rows.map(toRecordedEvent);
}

/**
 * Every event committed now after `after`, above the xmin horizon too: complete as of this moment,
 * which `readAll` is not while an older transaction (of any database on the server) is in flight.
 * For a reader that must know everything committed before it starts; it must not move a cursor
 * past these events (a late commit may still appear below them): keep reading with `readAll`.
 */
export async function readCommittedAfter(db: Kysely<any>, { after, limit }: ReadAllOptions): Promise<RecordedEvent[]> {
  let query = (db as EventStoreDb)
    .selectFrom('events')
    .select(eventColumns)
    .orderBy('transaction_id')
    .orderBy('global_position')
    .limit(limit);
  if (after) {
    query = query.where(
      sql`(transaction_id, global_position)`,
      '>',
      sql`(${after.transactionId}::xid8, ${after.globalPosition}::bigint)`,
    );
  }
  return (await query.execute()).map(toRecordedEvent);
}

/**
 * True when some committed event lies after `after`, readable or not. After an empty `readAll`
 * it means the xmin filter holds an event back until an older transaction ends (the event's own
 * notification has already come and gone), so the reader should look again soon.
 */
export async function hasEventsAfter(db: Kysely<any>, after: LogPosition | null): Promise<boolean> {
  const beyond = after
    ? sql`where (transaction_id, global_position) > (${after.transactionId}::xid8, ${after.globalPosition}::bigint)`
    : sql``;
  const { rows } = await sql<{ found: boolean }>`select exists (select 1 from events ${beyond}) as found`.execute(db);
  return rows[0].found;
}

/** Where a reader is once it has handled `event`. */
export function positionOf(event: RecordedEvent): LogPosition {
  return { transactionId: event.transactionId, globalPosition: event.globalPosition };
}
