import type { ModelView, ProviderView } from '@sluice/contracts';
import type { DesiredKey, DesiredModel, DesiredProvider } from './manifest';
import type { FieldChange } from './plan-keys';

export type ProviderStep =
  | { action: 'create'; name: string; entry: DesiredProvider }
  | { action: 'update'; name: string; id: string; changes: FieldChange[]; patch: { baseUrl: string | null } }
  | { action: 'unchanged'; name: string; id: string }
  | { action: 'conflict'; name: string; message: string };

export type ModelStep =
  | { action: 'create'; name: string; entry: DesiredModel }
  | { action: 'unchanged'; name: string }
  | { action: 'conflict'; name: string; message: string };

/** Providers are matched by name. The secret is never read back, so it is only used at creation. */
export function planProviders(desired: DesiredProvider[], current: ProviderView[]): ProviderStep[] {
  const byName = new Map(current.map((p) => [p.name, p]));
  return desired.map((want) => {
    const have = byName.get(want.name);
    if (!have) return { action: 'create', name: want.name, entry: want };
    if (have.type !== want.type)
      return {
        action: 'conflict',
        name: want.name,
        message: `type is ${have.type}, the file says ${want.type}; a provider's type cannot change`,
      };
    const baseUrl = want.baseUrl ?? null;
    if (have.baseUrl === baseUrl) return { action: 'unchanged', name: want.name, id: have.id };
    return {
      action: 'update',
      name: want.name,
      id: have.id,
      changes: [{ field: 'baseUrl', from: have.baseUrl, to: baseUrl }],
      patch: { baseUrl },
    };
  });
}

/**
 * Models are matched by name. The admin API has no model update, so a model that differs is a
 * conflict the user resolves (DELETE /models/:name, then apply again), never a silent replace.
 */
export function planModels(
  desired: DesiredModel[],
  current: ModelView[],
  providerIds: Map<string, string>,
): ModelStep[] {
  const byName = new Map(current.map((m) => [m.name, m]));
  return desired.map((want) => {
    const have = byName.get(want.name);
    if (!have) return { action: 'create', name: want.name, entry: want };
    const wanted = {
      providerId: providerIds.get(want.provider) ?? want.provider,
      upstreamModel: want.upstreamModel,
      inputUsdPerMTok: want.inputUsdPerMTok,
      outputUsdPerMTok: want.outputUsdPerMTok,
      cachedInputUsdPerMTok: want.cachedInputUsdPerMTok ?? null,
      cacheWriteUsdPerMTok: want.cacheWriteUsdPerMTok ?? null,
      maxOutputTokens: want.maxOutputTokens ?? null,
    };
    const differs = (Object.keys(wanted) as (keyof typeof wanted)[]).filter((f) => have[f] !== wanted[f]);
    if (differs.length === 0) return { action: 'unchanged', name: want.name };
    const detail = differs.map((f) => `${f} ${JSON.stringify(have[f])} → ${JSON.stringify(wanted[f])}`).join(', ');
    return {
      action: 'conflict',
      name: want.name,
      message: `differs (${detail}); models cannot be changed in place: DELETE /admin/v1/models/${want.name}, then apply again`,
    };
  });
}

/** A key's `providerIds` may name a provider instead of giving its id (ids differ between installations). */
export function resolveProviderRefs(keys: DesiredKey[], providerIds: Map<string, string>): DesiredKey[] {
  return keys.map((k) =>
    k.providerIds ? { ...k, providerIds: k.providerIds.map((ref) => providerIds.get(ref) ?? ref) } : k,
  );
}

/** Provider name → id, with the providers the plan would create shown by name until they exist. */
export function providerIdsByName(current: ProviderView[], steps: ProviderStep[] = []): Map<string, string> {
  const ids = new Map(current.map((p) => [p.name, p.id]));
  for (const step of steps) if (step.action === 'create') ids.set(step.name, `(new provider ${step.name})`);
  return ids;
}
