import type { Kysely } from 'kysely';
import { eventColumns, type EventStoreDb, toRecordedEvent } from './event-rows';
import type { RecordedEvent } from './types';

/** The stream's events in version order, from `fromVersion` (default 1) on. */
export async function readStream(
  db: Kysely<any>,
  streamId: string,
  opts: { fromVersion?: number } = {},
): Promise<RecordedEvent[]> {
  const rows = await (db as EventStoreDb)
    .selectFrom('events')
    .select(eventColumns)
    .where('stream_id', '=', streamId)
    .where('stream_version', '>=', opts.fromVersion ?? 1)
    .orderBy('stream_version')
    .execute();
  return rows.map(toRecordedEvent);
}
