import { sql, type Kysely } from 'kysely';

/** Where every service recorded every migration before each service owned its tables. */
const LEGACY_HISTORY = 'kysely_migration';

/**
 * A database made before each service owned its tables records all migrations in one history, and
 * already holds the owner's tables. On the owner's first run in the new layout this copies the
 * owner's rows of that history into its own, once, so no migration is applied twice. The legacy
 * history is left as it was.
 */
export async function adoptLegacyHistory(db: Kysely<any>, history: string, names: readonly string[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Replicas of one owner starting together: one copies, the others then find its history.
    await sql`select pg_advisory_xact_lock(hashtext(${`sluice.adopt.${history}`}))`.execute(trx);
    const { rows } = await sql<{ legacy: string | null; own: string | null }>`
      select to_regclass(${LEGACY_HISTORY})::text as legacy, to_regclass(${history})::text as own`.execute(trx);
    if (!rows[0].legacy || rows[0].own) return;
    await sql`create table ${sql.table(history)} (like ${sql.table(LEGACY_HISTORY)} including all)`.execute(trx);
    await sql`insert into ${sql.table(history)} select * from ${sql.table(LEGACY_HISTORY)} where name = any(${names}::text[])`.execute(
      trx,
    );
  });
}
