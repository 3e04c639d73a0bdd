import type { CheckKeyReply, CheckKeyRequest, OpenAiError } from '@sluice/contracts';
import { refuseKey, refuseUnknown } from '../authorize/authorize';
import type { KeyPolicy, KeyTable } from '../keys/key-table';

const ALLOW: CheckKeyReply = { allow: true };

/**
 * The key's own rules, without counting anything: the same codes and order as the start of
 * authorize (secret, IP allow-list, disabled, expiry). What `check-key` answers, and where
 * `access` starts.
 */
export function keyRules(
  keyHash: string,
  clientIp: string,
  keys: KeyTable,
  now: number,
): { key: KeyPolicy; error: OpenAiError | null } | { key: null; error: OpenAiError } {
  const key = keys.byHash(keyHash, now);
  if (!key) return { key: null, error: refuseUnknown(keyHash, keys) };
  return { key, error: refuseKey(key, clientIp, now) };
}

/**
 * Before a gateway reads a large body: would this key be refused whatever the body says? Nothing
 * is counted or reserved; the call itself is authorized once its body is read.
 */
export function checkKey(req: CheckKeyRequest, keys: KeyTable, now: number): CheckKeyReply {
  const { error } = keyRules(req.keyHash, req.clientIp, keys, now);
  return error ? { allow: false, error } : ALLOW;
}
