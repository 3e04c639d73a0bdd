import { type Kysely, sql } from 'kysely';

// Frozen in time: imports nothing from the app.
export async function up(db: Kysely<any>): Promise<void> {
  // The result of a command sent with an Idempotency-Key, kept for a retry to replay. A result may
  // hold a secret (a regenerated key), so it is stored only under envelope encryption, bound to its
  // row as associated data. The primary key lets exactly one of concurrent attempts store its result.
  await db.schema
    .createTable('idempotency_records')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('ciphertext', 'bytea', (c) => c.notNull())
    .addColumn('wrapped_key', 'bytea', (c) => c.notNull())
    .addColumn('kek_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_records_pk', ['actor', 'idempotency_key'])
    .execute();
  await sql`create index idempotency_records_expiry on idempotency_records (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_records').ifExists().execute();
}
