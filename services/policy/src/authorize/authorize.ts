import type { AuthorizeReply, AuthorizeRequest } from '@sluice/contracts';
import type { Catalog } from '../catalog/catalog';
import type { KeyPolicy, KeyTable } from '../keys/key-table';
import { Refusals } from './refusals';

/** The decision for one call. Pure: state and time in, allow-with-route or refusal out. */
export function authorize(req: AuthorizeRequest, keys: KeyTable, catalog: Catalog, now: number): AuthorizeReply {
  const key = keys.byHash(req.keyHash);
  const refusal = refuseKey(key, now);
  if (refusal) return { allow: false, keyId: key?.keyId, error: refusal };
  const policy = key as KeyPolicy;
  if (policy.operations && !policy.operations.has(req.operation)) {
    return { allow: false, keyId: policy.keyId, error: Refusals.operationNotAllowed(req.operation) };
  }
  const model = catalog.models.get(req.model);
  if (policy.allowsModel && !policy.allowsModel(req.model)) {
    // A model outside the key's allow-list is refused the same way whether or not it exists.
    return { allow: false, keyId: policy.keyId, error: model ? Refusals.modelNotAllowed(req.model) : Refusals.modelNotFound(req.model) };
  }
  if (!model) return { allow: false, keyId: policy.keyId, error: Refusals.modelNotFound(req.model) };
  const provider = catalog.providers.get(model.providerId);
  if (!provider) return { allow: false, keyId: policy.keyId, error: Refusals.providerMissing(req.model) };
  return {
    allow: true,
    keyId: policy.keyId,
    route: { providerId: provider.id, providerType: provider.type, baseUrl: provider.baseUrl, upstreamModel: model.upstreamModel },
  };
}

export function refuseKey(key: KeyPolicy | undefined, now: number) {
  if (!key) return Refusals.unknownKey();
  if (key.status === 'revoked') return Refusals.revoked();
  if (key.expiresAt !== null && key.expiresAt <= now) return Refusals.expired();
  return null;
}
