import type { KeyView, ModelView, ProviderView } from '@sluice/contracts';
import type { Manifest } from './manifest';
import { planModels, planProviders, providerIdsByName, resolveProviderRefs } from './plan-catalog';
import { planKeys } from './plan-keys';
import type { Plan } from './render';

export interface LiveState {
  keys: KeyView[];
  providers: ProviderView[];
  models: ModelView[];
}

/** The whole plan, computed from the file and the live state alone (no I/O). */
export function computePlan(manifest: Manifest, live: LiveState, opts: { prune: boolean }): Plan {
  const providers = planProviders(manifest.providers, live.providers);
  const ids = providerIdsByName(live.providers, providers);
  return {
    providers,
    models: planModels(manifest.models, live.models, ids),
    keys: planKeys(resolveProviderRefs(manifest.keys, ids), live.keys, opts),
  };
}
