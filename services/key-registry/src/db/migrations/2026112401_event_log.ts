import { Kysely, sql } from 'kysely';

// Frozen in time: imports nothing from the app.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table events (
      global_position bigint generated always as identity primary key,
      transaction_id xid8 not null default pg_current_xact_id(),
      stream_id text not null,
      stream_type text not null,
      stream_version int not null check (stream_version > 0),
      event_id uuid not null,
      event_type text not null,
      schema_version int not null,
      data jsonb not null,
      metadata jsonb not null,
      recorded_at timestamptz not null default now(),
      constraint events_stream_version_key unique (stream_id, stream_version),
      constraint events_event_id_key unique (event_id)
    )`.execute(db);
  await sql`create index events_transaction_position_idx on events (transaction_id, global_position)`.execute(db);

  await sql`
    create function events_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'events is append-only: % refused', tg_op using errcode = 'restrict_violation';
    end
    $$`.execute(db);
  await sql`
    create trigger events_refuse_update_delete before update or delete on events
    for each row execute function events_refuse_change()`.execute(db);
  await sql`
    create trigger events_refuse_truncate before truncate on events
    for each statement execute function events_refuse_change()`.execute(db);

  await sql`
    create table checkpoints (
      name text primary key,
      transaction_id xid8 not null,
      global_position bigint not null,
      updated_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table checkpoints`.execute(db);
  await sql`drop table events`.execute(db);
  await sql`drop function events_refuse_change()`.execute(db);
}
