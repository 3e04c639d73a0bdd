import { type Kysely, sql } from 'kysely';

// Frozen in time: imports nothing from the app.
// Key-registry's half of the first read models (metering's migration of the same name made usage_records and key_spend).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('keys_view')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_hint', 'text', (c) => c.notNull())
    .addColumn('models', 'jsonb')
    .addColumn('operations', 'jsonb')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();
  // A name is unique among keys that are not revoked; a revoked key's name can be reused.
  await sql`create unique index keys_view_live_name on keys_view (name) where revoked_at is null`.execute(db);
  await sql`create index keys_view_created on keys_view (created_at, id)`.execute(db);

  await db.schema
    .createTable('providers_view')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('base_url', 'text')
    .addColumn('api_key_hint', 'text')
    .addColumn('secret_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('removed_at', 'timestamptz')
    .execute();
  await sql`create unique index providers_view_live_name on providers_view (name) where removed_at is null`.execute(db);

  // The vault: provider secrets under envelope encryption. Events reference a row by
  // (provider_id, version) and never carry the secret.
  await db.schema
    .createTable('provider_secrets')
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('ciphertext', 'bytea', (c) => c.notNull())
    .addColumn('wrapped_key', 'bytea', (c) => c.notNull())
    .addColumn('kek_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('provider_secrets_pk', ['provider_id', 'version'])
    .execute();

  await db.schema
    .createTable('models_view')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('upstream_model', 'text', (c) => c.notNull())
    .addColumn('input_usd_per_mtok', 'double precision', (c) => c.notNull())
    .addColumn('output_usd_per_mtok', 'double precision', (c) => c.notNull())
    .addColumn('cached_input_usd_per_mtok', 'double precision')
    .addColumn('max_output_tokens', 'integer')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['models_view', 'provider_secrets', 'providers_view', 'keys_view']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
