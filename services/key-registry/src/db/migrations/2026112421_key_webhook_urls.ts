import type { Kysely } from 'kysely';

// Frozen in time: imports nothing from the app.
// A key's budget webhook URL, sealed like provider keys (AES-256-GCM envelope under the master key):
// a Slack-style URL carries its token, so it never enters an event or a read model.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('key_webhook_urls')
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('ciphertext', 'bytea', (c) => c.notNull())
    .addColumn('wrapped_key', 'bytea', (c) => c.notNull())
    .addColumn('kek_version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(db.fn('now')))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('key_webhook_urls').ifExists().execute();
}
