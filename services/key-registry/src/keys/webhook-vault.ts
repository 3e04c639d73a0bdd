import type { Kysely } from 'kysely';
import type { BudgetInput } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { open, rewrap, seal, type KeyEncryptionKeys } from '../providers/vault/envelope';

/**
 * A key's budget webhook URL, sealed like a provider key: a Slack-style URL carries its token, so
 * events, read models and NATS carry only its hint (`webhookUrlHint`). The notifier opens it to send.
 */
const aadOf = (keyId: string) => `key-webhook-url:${keyId}`;

export async function storeWebhookUrl(
  db: Kysely<Database>,
  keks: KeyEncryptionKeys,
  keyId: string,
  url: string,
): Promise<void> {
  const sealed = seal(url, aadOf(keyId), keks);
  const row = { ciphertext: sealed.ciphertext, wrapped_key: sealed.wrappedKey, kek_version: sealed.kekVersion };
  await db
    .insertInto('key_webhook_urls')
    .values({ key_id: keyId, ...row })
    .onConflict((oc) => oc.column('key_id').doUpdateSet({ ...row, updated_at: new Date() }))
    .execute();
}

export async function readWebhookUrl(
  db: Kysely<Database>,
  keks: KeyEncryptionKeys,
  keyId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('key_webhook_urls')
    .select(['ciphertext', 'wrapped_key', 'kek_version'])
    .where('key_id', '=', keyId)
    .executeTakeFirst();
  return row
    ? open({ ciphertext: row.ciphertext, wrappedKey: row.wrapped_key, kekVersion: row.kek_version }, aadOf(keyId), keks)
    : null;
}

/** After a change that set the key's budget: the sealed URL follows it (a new one, or none). */
export async function keepWebhookUrl(
  db: Kysely<Database>,
  keks: KeyEncryptionKeys,
  keyId: string,
  budget: BudgetInput | null,
): Promise<void> {
  if (budget?.webhookUrl) await storeWebhookUrl(db, keks, keyId, budget.webhookUrl);
  else await db.deleteFrom('key_webhook_urls').where('key_id', '=', keyId).execute();
}

export interface WebhookRewrapReport {
  rows: number;
  rewrapped: number;
  alreadyCurrent: number;
  failed: { keyId: string; reason: string }[];
}

/**
 * Wraps every sealed webhook URL's data key under the current key-encryption key, one row per
 * transaction (locked, so a concurrent change of the URL waits). Part of `POST /vault/rewrap`;
 * no event: a key's history does not change when its URL's wrapping does.
 */
export async function rewrapWebhookUrls(db: Kysely<Database>, keks: KeyEncryptionKeys): Promise<WebhookRewrapReport> {
  const rows = await db.selectFrom('key_webhook_urls').select(['key_id', 'kek_version']).orderBy('key_id').execute();
  const report: WebhookRewrapReport = { rows: rows.length, rewrapped: 0, alreadyCurrent: 0, failed: [] };
  for (const { key_id: keyId } of rows) {
    try {
      const done = await db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('key_webhook_urls')
          .select(['wrapped_key', 'kek_version'])
          .where('key_id', '=', keyId)
          .forUpdate()
          .executeTakeFirst();
        if (!row || row.kek_version === keks.current) return false;
        const next = rewrap({ wrappedKey: row.wrapped_key, kekVersion: row.kek_version }, aadOf(keyId), keks);
        await trx
          .updateTable('key_webhook_urls')
          .set({ wrapped_key: next.wrappedKey, kek_version: next.kekVersion })
          .where('key_id', '=', keyId)
          .execute();
        return true;
      });
      if (done) report.rewrapped++;
      else report.alreadyCurrent++;
    } catch (err) {
      const message = (err as Error).message;
      report.failed.push({
        keyId,
        reason: /master key version \d+ is not configured/.test(message)
          ? message
          : 'the data key does not decrypt with the configured master key of its version',
      });
    }
  }
  return report;
}
