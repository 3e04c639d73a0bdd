import type { CheckKeyReply, CheckKeyRequest } from '@sluice/contracts';
import { refuseKey, refuseUnknown } from '../authorize/authorize';
import type { KeyTable } from '../keys/key-table';

const ALLOW: CheckKeyReply = { allow: true };

/**
 * Before a gateway reads a large body: would this key be refused whatever the body says? The same
 * rules, codes and order as the start of authorize (secret, IP allow-list, disabled, expiry).
 * Nothing is counted or reserved; the call itself is authorized once its body is read.
 */
export function checkKey(req: CheckKeyRequest, keys: KeyTable, now: number): CheckKeyReply {
  const key = keys.byHash(req.keyHash, now);
  if (!key) return { allow: false, error: refuseUnknown(req.keyHash, keys) };
  const refusal = refuseKey(key, req.clientIp, now);
  return refusal ? { allow: false, error: refusal } : ALLOW;
}
