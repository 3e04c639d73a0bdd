import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { DomainError, ErrorCodes } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { open, seal, type KeyEncryptionKeys } from '../providers/vault/envelope';

/** How long a result can be replayed (the `Idempotency-Key` window most APIs document). */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

export interface IdempotentRequest {
  actor: string;
  idempotencyKey: string;
  operation: string;
  /** SHA-256 of what was asked: the same Idempotency-Key with another request is refused. */
  fingerprint: string;
}

export function idempotentRequest(
  actor: string,
  idempotencyKey: string,
  operation: string,
  request: Record<string, unknown>,
): IdempotentRequest {
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([operation, request]))
    .digest('hex');
  return { actor, idempotencyKey, operation, fingerprint };
}

const aadOf = (r: IdempotentRequest) => `idempotency:${r.actor}:${r.idempotencyKey}:${r.operation}:${r.fingerprint}`;

/** The result stored for this request within the window, or null; another request under the same key is a 409. */
export async function findResult<R>(
  db: Kysely<Database>,
  keks: KeyEncryptionKeys,
  req: IdempotentRequest,
  now: Date,
): Promise<R | null> {
  const row = await db
    .selectFrom('idempotency_records')
    .select(['operation', 'fingerprint', 'ciphertext', 'wrapped_key', 'kek_version'])
    .where('actor', '=', req.actor)
    .where('idempotency_key', '=', req.idempotencyKey)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (!row) return null;
  if (row.operation !== req.operation || row.fingerprint !== req.fingerprint) {
    throw new DomainError(
      ErrorCodes.idempotencyKeyReused,
      'this Idempotency-Key was already used for a different request; send a new one',
      {
        param: 'Idempotency-Key',
      },
    );
  }
  let plaintext: string;
  try {
    plaintext = open(
      { ciphertext: row.ciphertext, wrappedKey: row.wrapped_key, kekVersion: row.kek_version },
      aadOf(req),
      keks,
    );
  } catch {
    // Replaying is the only safe answer; running the command again would break the promise.
    throw new DomainError(
      ErrorCodes.conflict,
      'the result stored for this Idempotency-Key cannot be read (master key removed?); send a new one',
    );
  }
  return JSON.parse(plaintext) as R;
}

/**
 * Stores the result sealed, in the command's own transaction: the primary key (actor, key) lets
 * exactly one of concurrent attempts commit, and the others roll back their events with it.
 */
export async function storeResult(
  trx: Transaction<Database>,
  keks: KeyEncryptionKeys,
  req: IdempotentRequest,
  result: unknown,
  now: Date,
): Promise<void> {
  await trx
    .deleteFrom('idempotency_records')
    .where('actor', '=', req.actor)
    .where('idempotency_key', '=', req.idempotencyKey)
    .where('expires_at', '<=', now)
    .execute();
  const sealed = seal(JSON.stringify(result), aadOf(req), keks);
  await trx
    .insertInto('idempotency_records')
    .values({
      actor: req.actor,
      idempotency_key: req.idempotencyKey,
      operation: req.operation,
      fingerprint: req.fingerprint,
      ciphertext: sealed.ciphertext,
      wrapped_key: sealed.wrappedKey,
      kek_version: sealed.kekVersion,
      created_at: now,
      expires_at: new Date(now.getTime() + IDEMPOTENCY_WINDOW_MS),
    })
    .execute();
}

/** Results past their window are deleted, so no sealed secret outlives it for long. */
export async function purgeExpiredResults(db: Kysely<Database>, now: Date): Promise<void> {
  await db.deleteFrom('idempotency_records').where('expires_at', '<=', now).execute();
}
