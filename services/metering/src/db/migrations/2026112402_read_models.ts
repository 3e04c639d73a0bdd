import { type Kysely, sql } from 'kysely';

// Frozen in time: imports nothing from the app.
// Metering's half of the first read models (key-registry's migration of the same name made keys, providers and models).
export async function up(db: Kysely<any>): Promise<void> {
  // One row per served call, unique by request id: the record metering writes exactly once.
  await db.schema
    .createTable('usage_records')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('upstream_model', 'text', (c) => c.notNull())
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('stream', 'boolean', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('input_tokens', 'integer', (c) => c.notNull())
    .addColumn('cached_input_tokens', 'integer', (c) => c.notNull())
    .addColumn('output_tokens', 'integer', (c) => c.notNull())
    .addColumn('reasoning_tokens', 'integer', (c) => c.notNull())
    .addColumn('cost_usd', 'numeric(20, 10)', (c) => c.notNull())
    .addColumn('estimated', 'boolean', (c) => c.notNull())
    .addColumn('latency_ms', 'double precision', (c) => c.notNull())
    .addColumn('ttfb_ms', 'double precision')
    .addColumn('client_ip', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index usage_records_key_time on usage_records (key_id, started_at)`.execute(db);
  await sql`
    create function usage_records_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'usage_records is append-only';
    end $$`.execute(db);
  await sql`
    create trigger usage_records_append_only before update or delete on usage_records
    for each row execute function usage_records_refuse_change()`.execute(db);

  await db.schema
    .createTable('key_spend')
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('requests', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('input_tokens', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('output_tokens', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('spend_usd', 'numeric(20, 10)', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function if exists usage_records_refuse_change() cascade`.execute(db);
  for (const table of ['key_spend', 'usage_records']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
