import type { Database } from '@sluice/db';
import type { Kysely, Selectable } from 'kysely';
import type { RecordedEvent } from './types';

/** The store touches only its own tables, whatever else the caller's database holds. */
export type EventStoreDb = Kysely<Pick<Database, 'events' | 'checkpoints'>>;

export const eventColumns = [
  'global_position',
  'transaction_id',
  'stream_id',
  'stream_type',
  'stream_version',
  'event_id',
  'event_type',
  'schema_version',
  'data',
  'metadata',
  'recorded_at',
] as const;

type EventRow = Pick<Selectable<Database['events']>, (typeof eventColumns)[number]>;

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    type: row.event_type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    streamId: row.stream_id,
    streamType: row.stream_type,
    streamVersion: row.stream_version,
    globalPosition: row.global_position,
    transactionId: row.transaction_id,
    recordedAt: row.recorded_at,
  };
}
