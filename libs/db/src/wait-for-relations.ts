import { sql, type Kysely } from 'kysely';

export interface WaitForRelationsOptions {
  intervalMs?: number;
  /** Called once, the first time a relation is missing. */
  onWaiting?: (missing: string[]) => void;
}

/**
 * Resolves once every relation exists. A service that reads another's tables through a contract
 * waits for their owner to have migrated them (it starts alongside) rather than failing its first
 * query. A Postgres error is thrown, as any query's would be.
 */
export async function waitForRelations(
  db: Kysely<any>,
  names: readonly string[],
  opts: WaitForRelationsOptions = {},
): Promise<void> {
  for (let told = false; ; told = true) {
    const { rows } = await sql<{
      name: string;
    }>`select name from unnest(${names}::text[]) as name where to_regclass(name) is null`.execute(db);
    if (rows.length === 0) return;
    if (!told) opts.onWaiting?.(rows.map((r) => r.name));
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 250));
  }
}
