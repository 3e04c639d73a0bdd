import type { Kysely } from 'kysely';

/** An openai-compatible provider that serves OpenAI's Responses API itself. Frozen in time: imports nothing from the app. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('providers_view')
    .addColumn('supports_responses', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('providers_view').dropColumn('supports_responses').execute();
}
