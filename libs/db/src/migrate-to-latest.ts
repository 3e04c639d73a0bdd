import { Kysely, Migrator } from 'kysely';
import { migrations } from './migrations';

/**
 * Applies every pending migration, in name order, in one transaction. Safe to call from several
 * processes at once: Kysely's Postgres adapter serialises runs with an advisory lock.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`migration ${failed ?? '(before any migration ran)'} failed: ${describe(error)}`, { cause: error });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
