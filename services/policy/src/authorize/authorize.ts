import {
  reservedOutputTokens,
  type AuthorizeReply,
  type AuthorizeRequest,
  type OpenAiError,
  type Route,
} from '@sluice/contracts';
import type { Catalog, CatalogModel, CatalogProvider } from '../catalog/catalog';
import type { KeyPolicy, KeyTable } from '../keys/key-table';
import type { Limiter } from '../limits/limiter';
import { Refusals } from './refusals';

const NO_ESTIMATE = { inputTokens: 0, maxOutputTokens: null };

/** Simulation: count and reserve nothing; without a client address, skip the IP rule. */
export interface DryRun {
  dryRun?: boolean;
  ignoreIp?: boolean;
}

/**
 * The decision for one call: state and time in, allow-with-route or refusal out. Rules apply in
 * this order: secret, IP allow-list, disabled, expiry, operations, models, provider binding, the
 * output cap (a `max_tokens` above the model's maximum is refused as OpenAI refuses it), then the
 * limits (parallel, request windows, tokens, budget), so a caller outside the allow-list learns
 * nothing about the key's state. An allowed call is counted and its worst-case cost reserved,
 * unless it is a dry run (simulate).
 */
export function authorize(
  req: AuthorizeRequest,
  keys: KeyTable,
  catalog: Catalog,
  limiter: Limiter,
  now: number,
  options: DryRun = {},
): AuthorizeReply {
  const key = keys.byHash(req.keyHash, now);
  if (!key) return { allow: false, error: refuseUnknown(req.keyHash, keys) };
  const refusal = refuseKey(key, options.ignoreIp ? null : req.clientIp, now);
  if (refusal) return { allow: false, keyId: key.keyId, error: refusal };
  if (key.operations && !key.operations.has(req.operation)) {
    return { allow: false, keyId: key.keyId, error: Refusals.operationNotAllowed(req.operation) };
  }
  const routed = routeModel(key, req.model, catalog);
  if (!routed.ok) return { allow: false, keyId: key.keyId, error: routed.error };
  const { model, provider, upstreamModel } = routed;
  const estimate = req.estimate ?? NO_ESTIMATE;
  if (
    req.operation !== 'embeddings' &&
    model.maxOutputTokens !== null &&
    estimate.maxOutputTokens !== null &&
    estimate.maxOutputTokens > model.maxOutputTokens
  ) {
    return {
      allow: false,
      keyId: key.keyId,
      error: Refusals.maxTokensTooLarge(
        estimate.maxOutputTokens,
        model.maxOutputTokens,
        req.operation === 'responses' ? 'max_output_tokens' : 'max_tokens',
      ),
    };
  }
  const route = routeTo(model, provider, upstreamModel);
  // A request that bills nothing (count_tokens) asks about permissions only: no limit applies to it.
  if (req.checkOnly) return { allow: true, keyId: key.keyId, route };
  // Through a family entry, the call is reserved (and a sweep reports it) as the name it was made with.
  const asked = model.name === req.model ? model : { ...model, name: req.model, upstreamModel };
  const admission = limiter.admit(
    key,
    { callId: req.callId ?? req.requestId, model: asked, operation: req.operation, clientIp: req.clientIp, estimate },
    now,
    options.dryRun,
    req.renews,
  );
  if (!admission.ok) return { allow: false, keyId: key.keyId, error: admission.error, headers: admission.headers };
  return {
    allow: true,
    keyId: key.keyId,
    route: {
      ...route,
      outputCap: reservedOutputTokens(req.operation, estimate.maxOutputTokens, model.maxOutputTokens),
    },
    limits: admission.limits,
  };
}

/** The model rules, in order: the key's allow-list, the catalog, the provider binding, the provider itself. */
export function routeModel(
  key: KeyPolicy,
  name: string,
  catalog: Catalog,
):
  | { ok: true; model: CatalogModel; provider: CatalogProvider; upstreamModel: string }
  | { ok: false; error: OpenAiError } {
  const found = catalog.lookup(name);
  if (key.allowsModel && !key.allowsModel(name)) {
    // A model outside the key's allow-list is refused the same way whether or not it exists.
    return { ok: false, error: found ? Refusals.modelNotAllowed(name) : Refusals.modelNotFound(name) };
  }
  if (!found) return { ok: false, error: Refusals.modelNotFound(name) };
  const { model } = found;
  if (!allowsProvider(key, model)) return { ok: false, error: Refusals.providerNotAllowed(name) };
  const provider = catalog.providers.get(model.providerId);
  if (!provider) return { ok: false, error: Refusals.providerMissing(name) };
  return { ok: true, model, provider, upstreamModel: found.upstreamModel };
}

/** Where a call goes; `upstreamModel` differs from the model's own when a family entry served a dated id. */
export function routeTo(model: CatalogModel, provider: CatalogProvider, upstreamModel = model.upstreamModel): Route {
  return {
    providerId: provider.id,
    providerType: provider.type,
    baseUrl: provider.baseUrl,
    upstreamModel,
    secretVersion: provider.secretVersion,
    price: model.price,
    maxOutputTokens: model.maxOutputTokens,
    ...(provider.supportsResponses ? { supportsResponses: true } : {}),
  };
}

/** The refusals that depend on the key alone (and where the call comes from), not on the model. */
export function refuseKey(key: KeyPolicy, clientIp: string | null, now: number): OpenAiError | null {
  if (key.status === 'revoked') return Refusals.revoked();
  if (key.allowsIp && clientIp !== null && !key.allowsIp(clientIp)) return Refusals.ipNotAllowed(clientIp);
  if (key.status === 'disabled') return Refusals.disabled();
  if (key.expiresAt !== null && key.expiresAt <= now) return Refusals.expired(key.expiresAt);
  return null;
}

export function refuseUnknown(keyHash: string, keys: KeyTable): OpenAiError {
  const retiredAt = keys.retiredAt(keyHash);
  return retiredAt === undefined ? Refusals.unknownKey() : Refusals.retiredSecret(retiredAt);
}

export const allowsProvider = (key: KeyPolicy, model: CatalogModel): boolean =>
  !key.providerIds || key.providerIds.has(model.providerId);
