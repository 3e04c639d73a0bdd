import { type Kysely, sql } from 'kysely';

/**
 * Metering's store of the responses `/v1/responses` returned: which key each id belongs to, where
 * a native one lives, and for a bridged one the response and its input (what a later turn
 * continues from). Projected from the `SLUICE_RESPONSES` stream; rows expire after the retention
 * period. A deleted response keeps its row, emptied, so a replayed message cannot bring it back.
 * Frozen in time: imports nothing from the app.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('stored_responses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('route', 'jsonb', (c) => c.notNull())
    .addColumn('previous_response_id', 'text')
    .addColumn('context_tokens', 'integer')
    .addColumn('response', 'jsonb')
    .addColumn('input', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('stored_responses_expires_at').on('stored_responses').column('expires_at').execute();
  await sql`alter table stored_responses add constraint stored_responses_mode check (mode in ('native', 'bridged'))`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('stored_responses').execute();
}
