import { type Kysely, type RawBuilder, sql } from 'kysely';
import { auditEventData, type AuditEventView } from '@sluice/contracts';
import { eventColumnsSql, toChainedEvent, type EventRow } from '@sluice/event-store';

export interface AuditFilter {
  keyId?: string;
  type?: string;
  actor?: string;
  from?: string;
  to?: string;
}

interface AuditRow extends EventRow {
  metadata: Record<string, unknown>;
  seq: string;
  prev_hash: string;
  hash: string;
}

/**
 * One page of sealed events (those with a chain link) in chain order, after seq `afterSeq`.
 * Keyset paging on the chain's primary key: each page is one index range scan, so reading the
 * millionth page costs what reading the first does.
 */
export async function readAuditPage(
  db: Kysely<any>,
  filter: AuditFilter,
  afterSeq: string,
  limit: number,
): Promise<AuditEventView[]> {
  const { rows } = await sql<AuditRow>`
    select c.seq, c.prev_hash, c.hash, ${eventColumnsSql}
    from event_chain c join events e on e.global_position = c.global_position
    where c.seq > ${afterSeq}::bigint ${filterSql(filter)}
    order by c.seq limit ${limit}`.execute(db);
  return rows.map(toView);
}

export async function listAuditEvents(
  db: Kysely<any>,
  q: AuditFilter & { cursor?: string; limit: number },
): Promise<{ data: AuditEventView[]; nextCursor: string | null }> {
  const rows = await readAuditPage(db, q, q.cursor ?? '0', q.limit + 1);
  const data = rows.slice(0, q.limit);
  return { data, nextCursor: rows.length > q.limit ? data[data.length - 1].seq : null };
}

/** Every matching event, page by page; the caller pulls the next page only when it wants it. */
export async function* streamAuditEvents(
  db: Kysely<any>,
  filter: AuditFilter,
  pageSize = 2000,
): AsyncGenerator<AuditEventView[]> {
  let afterSeq = '0';
  for (;;) {
    const page = await readAuditPage(db, filter, afterSeq, pageSize);
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    afterSeq = page[page.length - 1].seq;
  }
}

function filterSql(f: AuditFilter): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [];
  if (f.keyId) parts.push(sql`and e.stream_id = ${`key-${f.keyId}`}`);
  if (f.type) parts.push(sql`and e.event_type = ${f.type}`);
  if (f.actor) parts.push(sql`and e.metadata->>'actor' = ${f.actor}`);
  if (f.from) parts.push(sql`and e.recorded_at >= ${f.from}::timestamptz`);
  if (f.to) parts.push(sql`and e.recorded_at < ${f.to}::timestamptz`);
  return sql.join(parts, sql` `);
}

function toView(row: AuditRow): AuditEventView {
  const event = toChainedEvent(row);
  // A secret an older version wrote into an event is shown as its hint; the line says so.
  const { data, redacted } = auditEventData(event.type, event.schemaVersion, event.data);
  return {
    seq: row.seq,
    position: event.globalPosition,
    eventId: event.eventId,
    type: event.type,
    streamId: event.streamId,
    version: event.streamVersion,
    schemaVersion: event.schemaVersion,
    data,
    metadata: row.metadata,
    recordedAt: event.recordedAt,
    prevHash: row.prev_hash,
    hash: row.hash,
    ...(redacted ? { redacted: true as const } : {}),
  };
}
