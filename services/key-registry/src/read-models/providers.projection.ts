import type { Kysely } from 'kysely';
import type { SluiceEvent } from '@sluice/contracts';
import type { Database } from '@sluice/db';

/** providers_view: one row per provider credential (never its secret). */
export async function projectProviderEvent(db: Kysely<Database>, event: SluiceEvent): Promise<void> {
  switch (event.type) {
    case 'ProviderAdded': {
      const d = event.data;
      await db
        .insertInto('providers_view')
        .values({
          id: d.providerId,
          name: d.name,
          type: d.type,
          base_url: d.baseUrl,
          api_key_hint: d.apiKeyHint,
          secret_version: d.secretVersion,
          supports_responses: d.supportsResponses === true,
          created_at: d.createdAt,
          removed_at: null,
        })
        .execute();
      return;
    }
    case 'ProviderUpdated': {
      const { after } = event.data;
      await db
        .updateTable('providers_view')
        .set({
          ...(after.name !== undefined ? { name: after.name } : {}),
          ...(after.baseUrl !== undefined ? { base_url: after.baseUrl } : {}),
          ...(after.supportsResponses !== undefined ? { supports_responses: after.supportsResponses } : {}),
        })
        .where('id', '=', event.data.providerId)
        .execute();
      return;
    }
    case 'ProviderSecretRotated':
      await db
        .updateTable('providers_view')
        .set({ secret_version: event.data.secretVersion, api_key_hint: event.data.apiKeyHint })
        .where('id', '=', event.data.providerId)
        .execute();
      return;
    case 'ProviderRemoved':
      await db
        .updateTable('providers_view')
        .set({ removed_at: event.data.removedAt })
        .where('id', '=', event.data.providerId)
        .execute();
      return;
    default:
      // ProviderSecretRewrapped is for the audit trail: nothing a listing shows changes.
      return;
  }
}
