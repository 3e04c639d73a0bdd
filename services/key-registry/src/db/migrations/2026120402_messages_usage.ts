import type { Kysely } from 'kysely';

/**
 * Key-registry's half of the Messages API's usage (metering's migration of the same name added the
 * cache-write tokens and session id to the usage record): the catalog's cache-write price.
 * Frozen in time: imports nothing from the app.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('models_view').addColumn('cache_write_usd_per_mtok', 'double precision').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('models_view').dropColumn('cache_write_usd_per_mtok').execute();
}
