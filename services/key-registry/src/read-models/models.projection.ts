import type { Kysely } from 'kysely';
import type { SluiceEvent } from '@sluice/contracts';
import type { Database } from '@sluice/db';

/** models_view: the current model catalog. */
export async function projectModelEvent(db: Kysely<Database>, event: SluiceEvent): Promise<void> {
  switch (event.type) {
    case 'ModelAdded': {
      const d = event.data;
      await db
        .insertInto('models_view')
        .values({
          name: d.name,
          provider_id: d.providerId,
          upstream_model: d.upstreamModel,
          input_usd_per_mtok: d.inputUsdPerMTok,
          output_usd_per_mtok: d.outputUsdPerMTok,
          cached_input_usd_per_mtok: d.cachedInputUsdPerMTok,
          cache_write_usd_per_mtok: d.cacheWriteUsdPerMTok ?? null,
          max_output_tokens: d.maxOutputTokens,
          created_at: d.createdAt,
        })
        .execute();
      return;
    }
    case 'ModelRemoved':
      await db.deleteFrom('models_view').where('name', '=', event.data.name).execute();
      return;
    default:
      return;
  }
}
