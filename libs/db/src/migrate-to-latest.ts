import { Kysely, Migrator, type Migration } from 'kysely';
import { adoptLegacyHistory } from './legacy-history';

/** The migrations of one service's tables (docs/architecture.md#who-owns-which-table). */
export interface OwnedMigrations {
  /** The owning service; its history is the table `<owner>_migration` (`-` as `_`). */
  owner: string;
  /** Keyed by timestamped name (yyyymmddNN_name); applied in name order, so add new ones with a later name. */
  migrations: Record<string, Migration>;
}

/** Where an owner's applied migrations are recorded. */
export const historyTableOf = (owner: string): string => `${owner.replace(/-/g, '_')}_migration`;

/**
 * Applies the owner's pending migrations, in name order, in one transaction. Safe to call from
 * several processes at once: Kysely's Postgres adapter serialises runs with an advisory lock.
 */
export async function migrateToLatest(db: Kysely<any>, schema: OwnedMigrations): Promise<void> {
  const history = historyTableOf(schema.owner);
  await adoptLegacyHistory(db, history, Object.keys(schema.migrations));
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => schema.migrations },
    migrationTableName: history,
    migrationLockTableName: `${history}_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`${schema.owner} migration ${failed ?? '(before any migration ran)'} failed: ${describe(error)}`, {
      cause: error,
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
