import { Kysely, sql } from 'kysely';

// Frozen in time: imports nothing from the app.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table event_chain (
      seq bigint primary key check (seq > 0),
      global_position bigint not null unique,
      event_id uuid not null unique,
      prev_hash text not null,
      hash text not null,
      sealed_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create function event_chain_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'event_chain is append-only: % refused', tg_op using errcode = 'restrict_violation';
    end
    $$`.execute(db);
  await sql`
    create trigger event_chain_refuse_update_delete before update or delete on event_chain
    for each row execute function event_chain_refuse_change()`.execute(db);
  await sql`
    create trigger event_chain_refuse_truncate before truncate on event_chain
    for each statement execute function event_chain_refuse_change()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table event_chain`.execute(db);
  await sql`drop function event_chain_refuse_change()`.execute(db);
}
