import type { AccessReply, AccessRequest } from '@sluice/contracts';
import type { Catalog } from '../catalog/catalog';
import type { KeyTable } from '../keys/key-table';
import { keyRules } from '../check-key/check-key';
import { routeModel, routeTo } from './authorize';
import { Refusals } from './refusals';

/**
 * A call that generates nothing (a stored response read, deleted or cancelled; input tokens
 * counted): authorize's rules up to the route — secret, IP allow-list, disabled, expiry, operation
 * and, given a model, its rules — but no limit applies and nothing is counted or reserved.
 */
export function access(req: AccessRequest, keys: KeyTable, catalog: Catalog, now: number): AccessReply {
  const { key, error } = keyRules(req.keyHash, req.clientIp, keys, now);
  if (!key) return { allow: false, error };
  if (error) return { allow: false, keyId: key.keyId, error };
  if (key.operations && !key.operations.has(req.operation))
    return { allow: false, keyId: key.keyId, error: Refusals.operationNotAllowed(req.operation) };
  if (req.model === undefined) return { allow: true, keyId: key.keyId };
  const routed = routeModel(key, req.model, catalog);
  if (!routed.ok) return { allow: false, keyId: key.keyId, error: routed.error };
  return { allow: true, keyId: key.keyId, route: routeTo(routed.model, routed.provider, routed.upstreamModel) };
}
