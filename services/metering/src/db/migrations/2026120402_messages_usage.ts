import { type Kysely, sql } from 'kysely';

/**
 * What Anthropic's Messages API bills beyond OpenAI's usage, and the agent session a call belongs
 * to: the prompt tokens written to the provider's cache (part of the input tokens, like the cached
 * ones, priced at the catalog's cache-write rate) on every record and correction, and the caller's
 * session id (Claude Code's `X-Claude-Code-Session-Id`), so
 * an admin can see cost per session. `usage_calls` is recreated with both columns (and 2026120401's
 * trace id). Key-registry's migration of the same name adds the catalog's cache-write price.
 * Frozen in time: imports nothing from the app.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['usage_records', 'usage_corrections']) {
    await db.schema
      .alterTable(table)
      .addColumn('cache_write_input_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('session_id', 'text')
      .execute();
  }
  await sql`create index usage_records_session on usage_records (session_id, started_at) where session_id is not null`.execute(
    db,
  );
  await sql`drop view usage_calls`.execute(db);
  await createUsageCalls(db, true);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view usage_calls`.execute(db);
  await createUsageCalls(db, false);
  await sql`drop index if exists usage_records_session`.execute(db);
  for (const table of ['usage_corrections', 'usage_records']) {
    await db.schema.alterTable(table).dropColumn('session_id').dropColumn('cache_write_input_tokens').execute();
  }
}

async function createUsageCalls(db: Kysely<any>, withMessagesColumns: boolean): Promise<void> {
  const extra = withMessagesColumns
    ? sql`,
           coalesce(c.cache_write_input_tokens, u.cache_write_input_tokens) as cache_write_input_tokens,
           coalesce(c.session_id, u.session_id) as session_id`
    : sql``;
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
           case when c.request_id is null then null else u.cost_usd end as swept_cost_usd,
           u.trace_id${extra}
      from usage_records u
      left join usage_corrections c on c.request_id = u.request_id`.execute(db);
}
