import type { Kysely } from 'kysely';
import type { Database } from '@sluice/db';
import { open, seal, type KeyEncryptionKeys } from './envelope';

const aadOf = (providerId: string, version: number) => `provider-secret:${providerId}:${version}`;

export async function storeSecret(
  db: Kysely<Database>,
  keks: KeyEncryptionKeys,
  row: { providerId: string; version: number; secret: string },
): Promise<void> {
  const sealed = seal(row.secret, aadOf(row.providerId, row.version), keks);
  await db
    .insertInto('provider_secrets')
    .values({
      provider_id: row.providerId,
      version: row.version,
      ciphertext: sealed.ciphertext,
      wrapped_key: sealed.wrappedKey,
      kek_version: sealed.kekVersion,
    })
    .execute();
}

export async function readSecret(db: Kysely<Database>, keks: KeyEncryptionKeys, providerId: string, version: number): Promise<string | null> {
  const row = await db
    .selectFrom('provider_secrets')
    .select(['ciphertext', 'wrapped_key', 'kek_version'])
    .where('provider_id', '=', providerId)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!row) return null;
  return open({ ciphertext: row.ciphertext, wrappedKey: row.wrapped_key, kekVersion: row.kek_version }, aadOf(providerId, version), keks);
}
