import type { Kysely } from 'kysely';
import { parseEvent } from '@sluice/contracts';
import type { Database } from '@sluice/db';

/**
 * Applies one event to the read models the admin API and metering read. The same function runs
 * inline with each command and when the read models are rebuilt from the log.
 */
export async function projectEvent(db: Kysely<Database>, raw: { type: string; data: unknown }): Promise<void> {
  const event = parseEvent(raw);
  if (!event) return;
  switch (event.type) {
    case 'KeyCreated': {
      const d = event.data;
      await db
        .insertInto('keys_view')
        .values({
          id: d.keyId,
          name: d.name,
          description: d.description,
          status: 'active',
          key_hash: d.keyHash,
          key_hint: d.keyHint,
          models: d.models ? JSON.stringify(d.models) : null,
          operations: d.operations ? JSON.stringify(d.operations) : null,
          expires_at: d.expiresAt,
          metadata: JSON.stringify(d.metadata),
          created_at: d.createdAt,
          revoked_at: null,
          version: 1,
          ip_allowlist: d.ipAllowlist ? JSON.stringify(d.ipAllowlist) : null,
          provider_ids: d.providerIds ? JSON.stringify(d.providerIds) : null,
          previous_key_hash: null,
          previous_key_expires_at: null,
          updated_at: null,
        })
        .execute();
      return;
    }
    case 'KeyRevoked':
      await db
        .updateTable('keys_view')
        .set((eb) => ({ status: 'revoked', revoked_at: event.data.revokedAt, version: eb('version', '+', 1) }))
        .where('id', '=', event.data.keyId)
        .execute();
      return;
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
          created_at: d.createdAt,
          removed_at: null,
        })
        .execute();
      return;
    }
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
      // Events without a read-model row of their own (audit-only events) project nothing.
      return;
  }
}
