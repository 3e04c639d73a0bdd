import { type Kysely } from 'kysely';

// Frozen in time: imports nothing from the app.
/** The W3C trace id of the call's trace (when it was traced), to find its trace from the request log. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('usage_records').addColumn('trace_id', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('usage_records').dropColumn('trace_id').execute();
}
