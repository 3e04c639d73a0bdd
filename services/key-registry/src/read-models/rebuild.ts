import { sql, type Kysely } from 'kysely';
import type { Database } from '@sluice/db';
import { projectEvent } from './project';

/** The read models key-registry projects; each is a pure function of the log. */
export const READ_MODELS = ['keys_view', 'providers_view', 'models_view', 'admin_tokens_view'] as const;

/**
 * Drops the read models' rows and replays the whole log through the same projections that run
 * inline with each command, in one transaction: readers see the old rows or the new, never an
 * empty table. TRUNCATE locks the tables, so a command that commits meanwhile waits and then
 * projects its own event on top of the rebuilt rows. Replays in `global_position` order, which is
 * commit order for any two events that touch the same row or name.
 */
export async function rebuildReadModels(db: Kysely<Database>, { batchSize = 1000 } = {}): Promise<{ events: number }> {
  return db.transaction().execute(async (trx) => {
    await sql`truncate table ${sql.join(READ_MODELS.map((t) => sql.table(t)))}`.execute(trx);
    let events = 0;
    let after = '0';
    for (;;) {
      const batch = await trx
        .selectFrom('events')
        .select(['global_position', 'event_type', 'schema_version', 'data'])
        .where('global_position', '>', after)
        .orderBy('global_position')
        .limit(batchSize)
        .execute();
      // Read through the upcasters: a version 1 event's plain webhook URL becomes its hint (the URL
      // itself is in the vault, which a rebuild leaves alone).
      for (const row of batch)
        await projectEvent(trx, { type: row.event_type, schemaVersion: row.schema_version, data: row.data });
      events += batch.length;
      if (batch.length < batchSize) return { events };
      after = batch[batch.length - 1].global_position;
    }
  });
}
