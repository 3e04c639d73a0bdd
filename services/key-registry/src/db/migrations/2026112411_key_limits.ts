import { type Kysely, sql } from 'kysely';

// Frozen in time: imports nothing from the app.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('keys_view')
    .addColumn('rate_limits', 'jsonb')
    .addColumn('budget', 'jsonb')
    .addColumn('budget_period_start', 'timestamptz')
    .addColumn('budget_thresholds_reached', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  // Keys created before budgets existed: their only period starts at their creation.
  await sql`update keys_view set budget_period_start = created_at`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('keys_view')
    .dropColumn('rate_limits')
    .dropColumn('budget')
    .dropColumn('budget_period_start')
    .dropColumn('budget_thresholds_reached')
    .execute();
}
