import type { ListModelsReply, ListModelsRequest } from '@sluice/contracts';
import { refuseKey } from '../authorize/authorize';
import type { Catalog } from '../catalog/catalog';
import type { KeyTable } from '../keys/key-table';

/** GET /v1/models: only the catalog entries this key may use. */
export function listModels(req: ListModelsRequest, keys: KeyTable, catalog: Catalog, now: number): ListModelsReply {
  const key = keys.byHash(req.keyHash);
  const refusal = refuseKey(key, now);
  if (refusal || !key) return { allow: false, error: refusal! };
  const models = [...catalog.models.values()]
    .filter((m) => !key.allowsModel || key.allowsModel(m.name))
    .map((m) => ({ id: m.name, created: m.created, ownedBy: 'sluice' }));
  return { allow: true, keyId: key.keyId, models };
}
