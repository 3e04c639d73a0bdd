import { type Kysely, sql } from 'kysely';

/**
 * `usage_ledger`: the contract through which policy restores its counters from metering's records
 * (docs/architecture.md#who-owns-which-table), so metering may reshape `usage_records` and
 * `usage_corrections` without breaking policy. One row per recorded call: what its record charged
 * and, when a swept call's real report corrected it, what the correction charged; each part with
 * when its call ended (start + latency), when it was stored, and the transaction id that stored it
 * (`row_xmin`: both tables are append-only, so that is the inserting transaction).
 * Frozen in time: imports nothing from the app.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create view usage_ledger as
    select u.request_id, u.key_id, u.swept, u.cost_usd, u.started_at, u.latency_ms, u.recorded_at, u.xmin as row_xmin,
           c.request_id is not null as corrected,
           c.cost_usd as corrected_cost_usd, c.started_at as corrected_started_at, c.latency_ms as corrected_latency_ms,
           c.recorded_at as corrected_recorded_at, c.xmin as corrected_row_xmin
      from usage_records u
      left join usage_corrections c on c.request_id = u.request_id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view usage_ledger`.execute(db);
}
