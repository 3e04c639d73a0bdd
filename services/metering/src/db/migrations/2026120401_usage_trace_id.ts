import { type Kysely, sql } from 'kysely';

// Frozen in time: imports nothing from the app.
/** The W3C trace id of the call's trace (when it was traced), to find its trace from the request log. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('usage_records').addColumn('trace_id', 'text').execute();
  // Each call as it finally stands (2026112422) shows its trace too: the view gains the column at its end.
  await sql`
    create or replace view usage_calls as
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
           u.trace_id
      from usage_records u
      left join usage_corrections c on c.request_id = u.request_id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view if exists usage_calls`.execute(db);
  await db.schema.alterTable('usage_records').dropColumn('trace_id').execute();
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
