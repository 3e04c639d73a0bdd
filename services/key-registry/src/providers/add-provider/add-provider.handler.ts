import { CreateProviderBody, parseOrThrow, type Actor } from '@sluice/contracts';
import { runCommand } from '../../shared/command-store';
import type { Deps } from '../../shared/deps';
import { storeSecret } from '../vault/vault.repository';
import { decideAddProvider, type ProviderAdded } from './add-provider';

export async function addProvider(deps: Deps, payload: { body: unknown; actor: Actor }): Promise<{ providerId: string }> {
  const body = parseOrThrow(CreateProviderBody, payload.body);
  const providerId = deps.newId('prov');
  const now = deps.now();
  await runCommand<boolean, ProviderAdded>(deps.db, {
    streamId: `provider-${providerId}`,
    streamType: 'provider',
    fold: (events) => events.length > 0,
    decide: (exists) => decideAddProvider({ type: 'AddProvider', providerId, body, now }, exists),
    actor: payload.actor,
    now,
    alsoInTransaction: async (trx) => {
      if (body.apiKey) await storeSecret(trx, deps.keks, { providerId, version: 1, secret: body.apiKey });
    },
  });
  return { providerId };
}
