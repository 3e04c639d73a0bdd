import { sql } from 'kysely';
import { upcastBudget } from '@sluice/contracts';
import type { Deps } from '../shared/deps';
import { storeWebhookUrl } from './webhook-vault';

/**
 * Keys whose budget an older version kept with its webhook URL in plain text (schema 1 events and
 * the read model they projected): the URL goes into the vault, the read model keeps its hint. Run
 * at every start; a key already done has nothing left to do. The log is append-only: its version 1
 * rows keep the URL, and every reader upcasts them to the hint (docs/security.md).
 */
export async function sealLegacyWebhookUrls(deps: Deps): Promise<number> {
  const rows = await deps.db
    .selectFrom('keys_view')
    .select(['id', 'budget'])
    .where(sql<boolean>`budget ? 'webhookUrl'`)
    .execute();
  for (const row of rows) {
    const url = (row.budget as { webhookUrl?: unknown } | null)?.webhookUrl;
    await deps.db.transaction().execute(async (trx) => {
      if (typeof url === 'string' && url) {
        const sealed = await trx
          .selectFrom('key_webhook_urls')
          .select('key_id')
          .where('key_id', '=', row.id)
          .executeTakeFirst();
        if (!sealed) await storeWebhookUrl(trx, deps.keks, row.id, url);
      }
      await trx
        .updateTable('keys_view')
        .set({ budget: JSON.stringify(upcastBudget(row.budget)) })
        .where('id', '=', row.id)
        .execute();
    });
  }
  return rows.length;
}
