import type { Kysely } from 'kysely';
import type { SluiceEvent } from '@sluice/contracts';
import type { Database } from '@sluice/db';

/** admin_tokens_view: one row per admin token (its hash and hint, never the token), read by admin-api's guard. */
export async function projectAdminTokenEvent(db: Kysely<Database>, event: SluiceEvent): Promise<void> {
  switch (event.type) {
    case 'AdminTokenCreated': {
      const d = event.data;
      await db
        .insertInto('admin_tokens_view')
        .values({
          id: d.tokenId,
          name: d.name,
          role: d.role,
          token_hash: d.tokenHash,
          token_hint: d.tokenHint,
          created_at: d.createdAt,
          revoked_at: null,
        })
        .execute();
      return;
    }
    case 'AdminTokenRevoked':
      await db
        .updateTable('admin_tokens_view')
        .set({ revoked_at: event.data.revokedAt })
        .where('id', '=', event.data.tokenId)
        .execute();
      return;
    default:
      return;
  }
}
