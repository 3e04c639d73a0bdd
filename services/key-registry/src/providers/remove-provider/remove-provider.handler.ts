import type { Actor } from '@sluice/contracts';
import { runCommand } from '../../shared/command-store';
import type { Deps } from '../../shared/deps';
import { foldProvider, type ProviderEvent, type ProviderState } from '../provider';
import { deleteSecrets } from '../vault/vault.repository';
import { decideRemoveProvider } from './remove-provider';

/**
 * Removes a provider and destroys its vault rows. The provider's read-model row is locked first,
 * and add-model takes a share lock on it, so a model added concurrently is either seen here (and
 * the removal refused) or refused itself: no model is left routing to a removed provider.
 */
export async function removeProvider(
  deps: Deps,
  payload: { providerId: string; actor: Actor },
): Promise<{ providerId: string }> {
  const { providerId } = payload;
  const now = deps.now();
  await runCommand<ProviderState, ProviderEvent, string[]>(deps.db, {
    streamId: `provider-${providerId}`,
    streamType: 'provider',
    fold: foldProvider,
    loadContext: async (trx) => {
      await trx.selectFrom('providers_view').select('id').where('id', '=', providerId).forUpdate().execute();
      const models = await trx
        .selectFrom('models_view')
        .select('name')
        .where('provider_id', '=', providerId)
        .orderBy('name')
        .execute();
      return models.map((m) => m.name);
    },
    decide: (state, modelsRoutedHere) =>
      decideRemoveProvider({ type: 'RemoveProvider', providerId, now }, state, modelsRoutedHere),
    actor: payload.actor,
    now,
    alsoInTransaction: (trx) => deleteSecrets(trx, providerId),
  });
  return { providerId };
}
