import { CreateProviderBody, parseOrThrow, type Actor } from '@sluice/contracts';
import { runCommand } from '../../shared/command-store';
import type { Deps } from '../../shared/deps';
import { foldProvider, type ProviderEvent, type ProviderState } from '../provider';
import { assertUpstreamUrlAllowed } from '../upstream-url';
import { storeSecret } from '../vault/vault.repository';
import { decideAddProvider } from './add-provider';

export async function addProvider(
  deps: Deps,
  payload: { body: unknown; actor: Actor },
): Promise<{ providerId: string }> {
  const body = parseOrThrow(CreateProviderBody, payload.body);
  if (body.baseUrl) await assertUpstreamUrlAllowed(deps.upstream, body.baseUrl);
  const providerId = deps.newId('prov');
  const now = deps.now();
  await runCommand<ProviderState, ProviderEvent>(deps.db, {
    streamId: `provider-${providerId}`,
    streamType: 'provider',
    fold: foldProvider,
    decide: (state) => decideAddProvider({ type: 'AddProvider', providerId, body, now }, state),
    actor: payload.actor,
    now,
    alsoInTransaction: async (trx) => {
      if (body.apiKey) await storeSecret(trx, deps.keks, { providerId, version: 1, secret: body.apiKey });
    },
  });
  return { providerId };
}
