import { sql, type Kysely } from 'kysely';
import type { Database } from '@sluice/db';
import type { ModelPrice } from '@sluice/contracts';

/**
 * The price in force when the call started: the latest ModelAdded event for the model recorded
 * at or before that time (prices change by events, so history is in the log). A call that
 * started before the model's first event is priced with the first one.
 */
export async function priceAt(db: Kysely<Database>, model: string, at: string): Promise<ModelPrice | null> {
  const latestBefore = await pricesQuery(db, model).where('recorded_at', '<=', sql<Date>`${at}::timestamptz`).orderBy('stream_version', 'desc').executeTakeFirst();
  const row = latestBefore ?? (await pricesQuery(db, model).orderBy('stream_version', 'asc').executeTakeFirst());
  if (!row) return null;
  const data = row.data as { inputUsdPerMTok: number; outputUsdPerMTok: number; cachedInputUsdPerMTok: number | null };
  return { inputUsdPerMTok: data.inputUsdPerMTok, outputUsdPerMTok: data.outputUsdPerMTok, cachedInputUsdPerMTok: data.cachedInputUsdPerMTok };
}

const pricesQuery = (db: Kysely<Database>, model: string) =>
  db.selectFrom('events').select(['data']).where('stream_id', '=', `model-${model}`).where('event_type', '=', 'ModelAdded').limit(1);
