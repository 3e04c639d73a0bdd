import { Kysely, sql, Transaction } from 'kysely';
import { DuplicateEventError, WrongExpectedVersionError } from './errors';
import type { EventStoreDb } from './event-rows';
import type { ExpectedVersion, NewEvent } from './types';

export const EVENTS_CHANNEL = 'sluice_events';

export interface AppendToStream {
  streamId: string;
  streamType: string;
  expectedVersion: ExpectedVersion;
  events: NewEvent[];
}

export interface AppendResult {
  /** The version of the last event now in the stream: pass it as the next expectedVersion. */
  nextExpectedVersion: number;
  /** Global positions of the appended events, in order. */
  positions: string[];
}

/**
 * Appends events to one stream. Given a Transaction, appends inside it (commit is the caller's);
 * given a Kysely, opens its own. Followers are notified when the transaction commits.
 */
export async function appendToStream(db: Kysely<any>, append: AppendToStream): Promise<AppendResult> {
  if (db.isTransaction) return appendInTransaction(db as Transaction<any>, append);
  return db.transaction().execute((trx) => appendInTransaction(trx, append));
}

async function appendInTransaction(trx: Transaction<any>, append: AppendToStream): Promise<AppendResult> {
  const { streamId, streamType, expectedVersion, events } = append;
  const db = trx as unknown as EventStoreDb;
  if (expectedVersion === 'any') {
    // 'any' promises no conflict, so 'any' writers queue per stream (until commit) instead of
    // racing for the next version; the version read below then sees the previous writer's events.
    await sql`select pg_advisory_xact_lock(hashtext('sluice:stream'), hashtext(${streamId}))`.execute(trx);
  }
  const current = await db
    .selectFrom('events')
    .select((eb) => eb.fn.max('stream_version').as('version'))
    .where('stream_id', '=', streamId)
    .executeTakeFirst();
  const actual = current?.version ?? 0;
  if (!matches(expectedVersion, actual)) throw new WrongExpectedVersionError(streamId, expectedVersion, actual);
  if (events.length === 0) return { nextExpectedVersion: actual, positions: [] };

  const rows = events.map((event, i) => ({
    stream_id: streamId,
    stream_type: streamType,
    stream_version: actual + 1 + i,
    event_id: event.eventId,
    event_type: event.type,
    schema_version: event.schemaVersion,
    data: JSON.stringify(event.data),
    metadata: JSON.stringify(event.metadata),
  }));
  let inserted: { global_position: string }[];
  try {
    // A writer that read the same version inserts the same (stream_id, stream_version) and waits on
    // our uncommitted row; whichever commits second fails the unique constraint.
    inserted = await db.insertInto('events').values(rows).returning('global_position').execute();
  } catch (err) {
    throw translateUniqueViolation(err, append);
  }
  await sql`select pg_notify(${EVENTS_CHANNEL}, '')`.execute(trx);
  return { nextExpectedVersion: actual + events.length, positions: inserted.map((r) => r.global_position) };
}

function matches(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 0;
  return expected === actual;
}

function translateUniqueViolation(err: unknown, { streamId, expectedVersion }: AppendToStream): unknown {
  const pgError = err as { code?: string; constraint?: string };
  if (pgError?.code !== '23505') return err;
  if (pgError.constraint === 'events_stream_version_key')
    return new WrongExpectedVersionError(streamId, expectedVersion);
  if (pgError.constraint === 'events_event_id_key') return new DuplicateEventError(streamId);
  return err;
}
