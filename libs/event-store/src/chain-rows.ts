import { type Kysely, sql } from 'kysely';
import type { ChainedEvent, ChainLink } from './chain';

/** An events row as `eventColumnsSql` selects it. */
export interface EventRow {
  global_position: string;
  stream_id: string;
  stream_version: number;
  event_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  metadata: unknown;
  recorded_at: string;
}

/** recorded_at as text with microseconds: what the chain hashes (a Date would drop them). */
export const eventColumnsSql = sql`e.global_position, e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version, e.data, e.metadata,
  to_char(e.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as recorded_at`;

export function toChainedEvent(row: EventRow): ChainedEvent {
  return {
    globalPosition: row.global_position,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    eventId: row.event_id,
    type: row.event_type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
  };
}

export async function loadChainedEvents(db: Kysely<any>, positions: string[]): Promise<Map<string, ChainedEvent>> {
  const { rows } =
    await sql<EventRow>`select ${eventColumnsSql} from events e where e.global_position = any(${positions}::bigint[])`.execute(
      db,
    );
  return new Map(rows.map((row) => [row.global_position, toChainedEvent(row)]));
}

export type LinkRow = EventRow & { seq: string; chain_position: string; prev_hash: string; hash: string };

/** A page of the chain in seq order, each link with its event (null when the row is gone). */
export async function readLinks(
  db: Kysely<any>,
  afterSeq: string,
  limit: number,
): Promise<Array<ChainLink & { position: string }>> {
  const { rows } = await sql<LinkRow>`
    select c.seq, c.global_position as chain_position, c.prev_hash, c.hash, ${eventColumnsSql}
    from event_chain c left join events e on e.global_position = c.global_position
    where c.seq > ${afterSeq}::bigint order by c.seq limit ${limit}`.execute(db);
  return rows.map((row) => ({
    seq: row.seq,
    position: row.chain_position,
    prevHash: row.prev_hash,
    hash: row.hash,
    event: row.global_position === null ? null : toChainedEvent(row),
  }));
}
