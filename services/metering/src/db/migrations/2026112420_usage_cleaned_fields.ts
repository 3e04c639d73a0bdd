import { type Kysely, sql } from 'kysely';

// Frozen in time: imports nothing from the app.
/** The caller fields metering had to clean to store a call (a NUL or an unpaired surrogate in them). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('usage_records')
    .addColumn('cleaned_fields', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('usage_records').dropColumn('cleaned_fields').execute();
}
