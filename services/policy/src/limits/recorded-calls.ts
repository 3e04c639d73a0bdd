import { sql, type Kysely, type RawBuilder } from 'kysely';
import { nanosOfUsd } from '@sluice/contracts';
import type { Database } from '@sluice/db';

/**
 * What a restart's sum of metering's records covered: the calls that ended before `until`, in rows
 * committed before `snapshot` (the sum's own Postgres snapshot, `pg_current_snapshot()` as text).
 * A row stored after the sum ran was not summed, however early its call ended.
 */
export interface RecordsCut {
  until: number;
  snapshot: string;
}

/** A call metering has recorded, and whether its charge is already in this process's counters. */
export interface RecordedCall {
  keyId: string;
  swept: boolean;
  costNanos: number;
  /** Epoch ms: the call's start as recorded (a swept call: when policy admitted it). */
  startedAt: number;
  /** The restart summed this row, or an earlier copy of the message stored it (see lookUpRecords). */
  counted: boolean;
  /** A swept call's real report, appended as its correction (null: none yet), and whether that is counted likewise. */
  correction: { counted: boolean } | null;
}

/**
 * JetStream stores one copy of a message id per two minutes, so a second copy that gets through
 * comes at least that long after the first. A row stored more than this before a copy was
 * published came from an earlier copy; the margin is for the clocks of NATS and Postgres and for
 * metering's lag behind the stream.
 */
const EARLIER_COPY_MS = 60_000;

/**
 * Metering's records of these calls, as the late copy of a usage message published at
 * `copyPublishedAt` needs them: a row counts as already counted when the restart summed it (it
 * ended before the cut and the sum's snapshot saw it) or when it was stored before this copy was
 * published (an earlier copy stored it, and this process read that copy from the stream in order,
 * so it counted it — or the sum did). Any other row is this very message's own record, which
 * metering merely stored first: the message is still to be counted.
 */
export async function lookUpRecords(
  db: Kysely<Database>,
  requestIds: string[],
  cut: RecordsCut,
  copyPublishedAt: number,
): Promise<Map<string, RecordedCall>> {
  if (requestIds.length === 0) return new Map();
  const before = new Date(copyPublishedAt - EARLIER_COPY_MS);
  const { rows } = await sql<{
    request_id: string;
    key_id: string;
    swept: boolean;
    cost_usd: string;
    started_at: Date;
    counted: boolean;
    corrected: boolean;
    correction_counted: boolean;
  }>`
    select request_id, key_id, swept, cost_usd, started_at,
      (${summed(cut, 'record')} or recorded_at < ${before}) as counted,
      corrected,
      coalesce(${summed(cut, 'correction')} or corrected_recorded_at < ${before}, false) as correction_counted
    from usage_ledger
    where request_id = any(${requestIds}::text[])`.execute(db);
  return new Map(
    rows.map((r) => [
      r.request_id,
      {
        keyId: r.key_id,
        swept: r.swept,
        costNanos: nanosOfUsd(r.cost_usd),
        startedAt: new Date(r.started_at).getTime(),
        counted: r.counted,
        correction: r.corrected ? { counted: r.correction_counted } : null,
      },
    ]),
  );
}

/**
 * A part of a call in metering's `usage_ledger` (the contract policy reads, see docs/architecture.md):
 * its record, or the correction of a swept record. Each part's columns carry its own prefix.
 */
export type LedgerPart = 'record' | 'correction';
const PREFIX: Record<LedgerPart, string> = { record: '', correction: 'corrected_' };

/** The part is in the restart's sum: its call ended before the cut and the sum's snapshot saw the row. */
function summed(cut: RecordsCut, part: LedgerPart): RawBuilder<boolean> {
  const xmin = sql.raw(`${PREFIX[part]}row_xmin`);
  return sql<boolean>`(${endedBefore(cut.until, part)} and pg_visible_in_snapshot(${fullXid(xmin, cut.snapshot)}, ${cut.snapshot}::pg_snapshot))`;
}

/**
 * A row's inserting transaction as the 64-bit id a snapshot is compared with. `xmin` holds its low
 * 32 bits; the row is append-only (never updated), so that is the transaction that stored it. It is
 * placed within 2^31 of the snapshot's xmax, the window inside which 32-bit ids are unambiguous.
 */
function fullXid(xmin: RawBuilder<unknown>, snapshot: string): RawBuilder<unknown> {
  const xmax = sql`pg_snapshot_xmax(${snapshot}::pg_snapshot)::text::bigint`;
  return sql`(${xmax} - (((${xmax} - ${xmin}::text::bigint + 2147483648) % 4294967296 + 4294967296) % 4294967296) + 2147483648)::text::xid8`;
}

/**
 * The same split the stream replay uses: the call (as the ledger's `part` tells it) ended, start + latency, before
 * `until`.
 */
export function endedBefore(until: number, part: LedgerPart = 'record'): RawBuilder<boolean> {
  const t = sql.raw(PREFIX[part]);
  return sql<boolean>`${t}started_at + ${t}latency_ms * interval '1 millisecond' < ${new Date(until)}`;
}

/** A call ends at its start plus its latency; the stream replay counts the calls that end from `until` on. */
export const endsBefore = (usage: { startedAt: string; latencyMs: number }, until: number): boolean =>
  Date.parse(usage.startedAt) + usage.latencyMs < until;
