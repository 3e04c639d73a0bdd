import { type Kysely, sql } from 'kysely';

// Frozen in time: imports nothing from the app.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('keys_view')
    .addColumn('ip_allowlist', 'jsonb')
    .addColumn('provider_ids', 'jsonb')
    .addColumn('previous_key_hash', 'text')
    .addColumn('previous_key_expires_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('admin_tokens_view')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('token_hint', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await sql`create unique index admin_tokens_view_live_name on admin_tokens_view (name) where revoked_at is null`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('admin_tokens_view').ifExists().execute();
  await db.schema
    .alterTable('keys_view')
    .dropColumn('ip_allowlist')
    .dropColumn('provider_ids')
    .dropColumn('previous_key_hash')
    .dropColumn('previous_key_expires_at')
    .dropColumn('updated_at')
    .execute();
}
