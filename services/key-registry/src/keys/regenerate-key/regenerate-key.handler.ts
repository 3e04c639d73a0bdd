import type { Transaction } from 'kysely';
import {
  DomainError,
  ErrorCodes,
  generateVirtualKey,
  hashVirtualKey,
  IdempotencyKey,
  keyHint,
  parseOrThrow,
  RegenerateKeyBody,
  type Actor,
} from '@sluice/contracts';
import type { Database } from '@sluice/db';
import type { Deps } from '../../shared/deps';
import { findResult, idempotentRequest, purgeExpiredResults, storeResult } from '../../shared/idempotency';
import { runKeyCommand } from '../key-stream';
import { decideRegenerateKey } from './regenerate-key';

interface Regenerated {
  keyId: string;
  key: string;
}

export interface RegenerateKeyPayload {
  keyId: string;
  body?: unknown;
  /** With it, a retry returns the first attempt's secret instead of making another. */
  idempotencyKey?: string;
  actor: Actor;
}

/** A new secret for the key, returned once; with an Idempotency-Key, exactly once however often retried. */
export async function regenerateKey(
  deps: Deps,
  payload: RegenerateKeyPayload,
): Promise<Regenerated & { replayed: boolean }> {
  const body = parseOrThrow(RegenerateKeyBody, payload.body ?? {});
  const grace = body.gracePeriodSeconds ?? 0;
  if (payload.idempotencyKey === undefined) return { ...(await regenerate(deps, payload, grace)), replayed: false };

  if (!IdempotencyKey.safeParse(payload.idempotencyKey).success) {
    throw new DomainError(ErrorCodes.validation, 'Idempotency-Key must be 1 to 255 printable ASCII characters', {
      param: 'Idempotency-Key',
    });
  }
  const request = idempotentRequest(payload.actor.actor, payload.idempotencyKey, 'regenerate-key', {
    keyId: payload.keyId,
    gracePeriodSeconds: grace,
  });
  await purgeExpiredResults(deps.db, deps.now());
  const earlier = await findResult<Regenerated>(deps.db, deps.keks, request, deps.now());
  if (earlier) return { ...earlier, replayed: true };
  try {
    const result = await regenerate(deps, payload, grace, (trx, r) =>
      storeResult(trx, deps.keks, request, r, deps.now()),
    );
    return { ...result, replayed: false };
  } catch (err) {
    // A concurrent attempt with the same Idempotency-Key committed first: answer with its secret.
    const winner = await findResult<Regenerated>(deps.db, deps.keks, request, deps.now());
    if (winner) return { ...winner, replayed: true };
    throw err;
  }
}

async function regenerate(
  deps: Deps,
  payload: RegenerateKeyPayload,
  gracePeriodSeconds: number,
  store?: (trx: Transaction<Database>, result: Regenerated) => Promise<void>,
): Promise<Regenerated> {
  const secret = generateVirtualKey();
  const result = { keyId: payload.keyId, key: secret };
  const command = {
    type: 'RegenerateKey',
    keyId: payload.keyId,
    keyHash: hashVirtualKey(secret),
    keyHint: keyHint(secret),
    gracePeriodSeconds,
  } as const;
  await runKeyCommand(
    deps,
    payload.keyId,
    payload.actor,
    (state, now) => decideRegenerateKey({ ...command, now }, state),
    store && ((trx) => store(trx, result)),
  );
  return result;
}
