import type { Kysely } from 'kysely';
import type { SluiceEvent } from '@sluice/contracts';
import type { Database } from '@sluice/db';

/** keys_view: one row per key, its settings and lifecycle state. */
export async function projectKeyEvent(db: Kysely<Database>, event: SluiceEvent): Promise<void> {
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
    default:
      return;
  }
}
