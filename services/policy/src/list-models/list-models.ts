import type { ListModelsReply, ListModelsRequest } from '@sluice/contracts';
import { allowsProvider, refuseKey, refuseUnknown } from '../authorize/authorize';
import type { Catalog } from '../catalog/catalog';
import type { KeyTable } from '../keys/key-table';

/**
 * GET /v1/models: only the catalog entries this key may use (its model allow-list and provider
 * binding). A family entry is listed as the name a client can send: its prefix (`claude-haiku-4-5*`
 * as `claude-haiku-4-5`), unless an entry of that name exists.
 */
export function listModels(req: ListModelsRequest, keys: KeyTable, catalog: Catalog, now: number): ListModelsReply {
  const key = keys.byHash(req.keyHash, now);
  if (!key) return { allow: false, error: refuseUnknown(req.keyHash, keys) };
  const refusal = refuseKey(key, req.clientIp, now);
  if (refusal) return { allow: false, error: refusal };
  const models = [];
  for (const m of catalog.models.values()) {
    const id = m.name.endsWith('*') ? m.name.slice(0, -1) : m.name;
    if (id !== m.name && catalog.models.has(id)) continue;
    if ((!key.allowsModel || key.allowsModel(m.name)) && allowsProvider(key, m))
      models.push({ id, created: m.created, ownedBy: 'sluice' });
  }
  return { allow: true, keyId: key.keyId, models };
}
