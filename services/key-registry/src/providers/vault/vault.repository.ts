import type { Kysely, Transaction } from 'kysely';
import type { Database } from '@sluice/db';
import { open, rewrap, seal, type KeyEncryptionKeys } from './envelope';

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

export async function readSecret(
  db: Kysely<Database>,
  keks: KeyEncryptionKeys,
  providerId: string,
  version: number,
): Promise<string | null> {
  const row = await db
    .selectFrom('provider_secrets')
    .select(['ciphertext', 'wrapped_key', 'kek_version'])
    .where('provider_id', '=', providerId)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!row) return null;
  return open(
    { ciphertext: row.ciphertext, wrappedKey: row.wrapped_key, kekVersion: row.kek_version },
    aadOf(providerId, version),
    keks,
  );
}

export interface VaultRowRef {
  providerId: string;
  version: number;
}

/** Every vault row and the KEK version its data key is wrapped under, for a re-wrap run. */
export function listVaultRows(
  db: Kysely<Database>,
): Promise<{ provider_id: string; version: number; kek_version: number }[]> {
  return db
    .selectFrom('provider_secrets')
    .select(['provider_id', 'version', 'kek_version'])
    .orderBy('provider_id')
    .orderBy('version')
    .execute();
}

/** The row's wrapped data key, locked until the transaction ends so two re-wraps cannot interleave. */
export function lockWrappedKey(
  trx: Transaction<Database>,
  row: VaultRowRef,
): Promise<{ wrapped_key: Buffer; kek_version: number } | undefined> {
  return trx
    .selectFrom('provider_secrets')
    .select(['wrapped_key', 'kek_version'])
    .where('provider_id', '=', row.providerId)
    .where('version', '=', row.version)
    .forUpdate()
    .executeTakeFirst();
}

/** Wraps the row's data key under the current KEK; the ciphertext is not touched. */
export async function rewrapSecret(
  trx: Transaction<Database>,
  keks: KeyEncryptionKeys,
  row: VaultRowRef & { wrappedKey: Buffer; kekVersion: number },
): Promise<number> {
  const next = rewrap(
    { wrappedKey: row.wrappedKey, kekVersion: row.kekVersion },
    aadOf(row.providerId, row.version),
    keks,
  );
  await trx
    .updateTable('provider_secrets')
    .set({ wrapped_key: next.wrappedKey, kek_version: next.kekVersion })
    .where('provider_id', '=', row.providerId)
    .where('version', '=', row.version)
    .execute();
  return next.kekVersion;
}

/** A removed provider's secrets are destroyed: nothing can use them any more. */
export async function deleteSecrets(trx: Transaction<Database>, providerId: string): Promise<void> {
  await trx.deleteFrom('provider_secrets').where('provider_id', '=', providerId).execute();
}
