import { type Kysely, sql } from 'kysely';

/**
 * A call swept by policy (charged its worst case because it had not reported in time) whose real
 * usage arrives later is corrected, not counted twice: the swept row stays in `usage_records` (the
 * log is append-only) and the real report is appended to `usage_corrections`, one per call.
 * `usage_calls` is each call as it finally stands, for the request log and the usage queries.
 * Frozen in time: imports nothing from the app.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('usage_records')
    .addColumn('swept', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema
    .createTable('usage_corrections')
    .addColumn('request_id', 'text', (c) => c.primaryKey().references('usage_records.request_id'))
    .addColumn('key_id', 'text', (c) => c.notNull())
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
    // The real report's own start: with its latency, when the call really ended.
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('client_request_id', 'text')
    .addColumn('caller_user', 'text')
    .addColumn('caller_metadata', 'jsonb')
    .addColumn('cleaned_fields', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`
    create function usage_corrections_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'usage_corrections is append-only';
    end $$`.execute(db);
  await sql`
    create trigger usage_corrections_append_only before update or delete on usage_corrections
    for each row execute function usage_corrections_refuse_change()`.execute(db);
  await sql`
    create view usage_calls as
    select u.request_id, u.key_id, u.model, u.upstream_model, u.provider_id, u.operation, u.client_ip, u.started_at, u.recorded_at,
           coalesce(c.stream, u.stream) as stream,
           coalesce(c.status, u.status) as status,
           coalesce(c.input_tokens, u.input_tokens) as input_tokens,
           coalesce(c.cached_input_tokens, u.cached_input_tokens) as cached_input_tokens,
           coalesce(c.output_tokens, u.output_tokens) as output_tokens,
           coalesce(c.reasoning_tokens, u.reasoning_tokens) as reasoning_tokens,
           coalesce(c.cost_usd, u.cost_usd) as cost_usd,
           coalesce(c.estimated, u.estimated) as estimated,
           coalesce(c.latency_ms, u.latency_ms) as latency_ms,
           case when c.request_id is null then u.ttfb_ms else c.ttfb_ms end as ttfb_ms,
           coalesce(c.client_request_id, u.client_request_id) as client_request_id,
           coalesce(c.caller_user, u.caller_user) as caller_user,
           coalesce(c.caller_metadata, u.caller_metadata) as caller_metadata,
           case when c.request_id is null then u.cleaned_fields else c.cleaned_fields end as cleaned_fields,
           u.swept,
           case when c.request_id is null then null else u.cost_usd end as swept_cost_usd
      from usage_records u
      left join usage_corrections c on c.request_id = u.request_id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view if exists usage_calls`.execute(db);
  await sql`drop function if exists usage_corrections_refuse_change() cascade`.execute(db);
  await db.schema.dropTable('usage_corrections').ifExists().execute();
  await db.schema.alterTable('usage_records').dropColumn('swept').execute();
}
