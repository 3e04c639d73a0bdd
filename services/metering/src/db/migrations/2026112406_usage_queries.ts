import { sql, type Kysely } from 'kysely';

/** Caller fields on the usage record, and the indexes behind the usage queries and the request log. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('usage_records')
    .addColumn('client_request_id', 'text')
    .addColumn('caller_user', 'text')
    .addColumn('caller_metadata', 'jsonb')
    .execute();
  // The request log pages newest first on (started_at, request_id), optionally per key or model.
  await sql`create index usage_records_time_id on usage_records (started_at desc, request_id desc)`.execute(db);
  await sql`create index usage_records_key_time_id on usage_records (key_id, started_at desc, request_id desc)`.execute(
    db,
  );
  await sql`create index usage_records_model_time on usage_records (model, started_at)`.execute(db);
  await sql`create index usage_records_provider_time on usage_records (provider_id, started_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of [
    'usage_records_time_id',
    'usage_records_key_time_id',
    'usage_records_model_time',
    'usage_records_provider_time',
  ]) {
    await db.schema.dropIndex(index).ifExists().execute();
  }
  await db.schema
    .alterTable('usage_records')
    .dropColumn('client_request_id')
    .dropColumn('caller_user')
    .dropColumn('caller_metadata')
    .execute();
}
