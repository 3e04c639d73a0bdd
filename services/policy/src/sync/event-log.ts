import type { Kysely } from 'kysely';
import type { PublishedEvent } from '@sluice/contracts';
import {
  positionOf,
  readAll,
  readCommittedAfter,
  readStream,
  type LogPosition,
  type RecordedEvent,
} from '@sluice/event-store';

/** An event as policy applies it: what the relay publishes, or the same row read from the log. */
export type LogEvent = Pick<
  PublishedEvent,
  'eventId' | 'type' | 'schemaVersion' | 'streamId' | 'streamVersion' | 'data' | 'recordedAt'
>;

/**
 * The log in Postgres, read only, through libs/event-store's reader (the documented contract:
 * `readAll` in global order below the xmin horizon, `readStream` by version); policy never writes it.
 */
export interface EventLog {
  /** Up to `limit` events after `cursor`, and the cursor after the last of them. */
  readAfter(cursor: LogPosition | null, limit: number): Promise<{ events: LogEvent[]; cursor: LogPosition | null }>;
  /** Up to `limit` events committed now after `cursor`, above the reader's horizon too (see readCommittedAfter). */
  readCommittedAfter(
    cursor: LogPosition | null,
    limit: number,
  ): Promise<{ events: LogEvent[]; cursor: LogPosition | null }>;
  /** The stream's events from `fromVersion` on. */
  readStream(streamId: string, fromVersion: number): Promise<LogEvent[]>;
}

export function postgresEventLog(db: Kysely<any>): EventLog {
  return {
    async readAfter(cursor, limit) {
      const events = await readAll(db, { after: cursor, limit });
      return {
        events: events.map(toLogEvent),
        cursor: events.length > 0 ? positionOf(events[events.length - 1]) : cursor,
      };
    },
    async readCommittedAfter(cursor, limit) {
      const events = await readCommittedAfter(db, { after: cursor, limit });
      return {
        events: events.map(toLogEvent),
        cursor: events.length > 0 ? positionOf(events[events.length - 1]) : cursor,
      };
    },
    async readStream(streamId, fromVersion) {
      return (await readStream(db, streamId, { fromVersion })).map(toLogEvent);
    },
  };
}

const toLogEvent = (e: RecordedEvent): LogEvent => ({
  eventId: e.eventId,
  type: e.type,
  schemaVersion: e.schemaVersion,
  streamId: e.streamId,
  streamVersion: e.streamVersion,
  data: e.data,
  recordedAt: e.recordedAt.toISOString(),
});
