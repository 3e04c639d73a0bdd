import { type Kysely, sql } from 'kysely';
import type { EventStoreDb } from './event-rows';
import type { LogPosition } from './types';

/** The position saved under `name`, or null when that reader has never saved one. */
export async function loadCheckpoint(db: Kysely<any>, name: string): Promise<LogPosition | null> {
  const row = await (db as EventStoreDb)
    .selectFrom('checkpoints')
    .select(['transaction_id', 'global_position'])
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? { transactionId: row.transaction_id, globalPosition: row.global_position } : null;
}

export async function saveCheckpoint(db: Kysely<any>, name: string, position: LogPosition): Promise<void> {
  await (db as EventStoreDb)
    .insertInto('checkpoints')
    .values({ name, transaction_id: position.transactionId, global_position: position.globalPosition })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet((eb) => ({
        transaction_id: eb.ref('excluded.transaction_id'),
        global_position: eb.ref('excluded.global_position'),
        updated_at: sql<Date>`now()`,
      })),
    )
    .execute();
}
