import { parseOrThrow, RotateProviderBody, type Actor } from '@sluice/contracts';
import { runCommand } from '../../shared/command-store';
import type { Deps } from '../../shared/deps';
import { foldProvider, secretHint, type ProviderEvent, type ProviderState } from '../provider';
import { storeSecret } from '../vault/vault.repository';
import { decideRotateProviderSecret } from './rotate-provider';

/** Stores the new secret as the next vault version and records the rotation, in one transaction. */
export async function rotateProviderSecret(
  deps: Deps,
  payload: { providerId: string; body: unknown; actor: Actor },
): Promise<{ providerId: string; secretVersion: number }> {
  const { apiKey } = parseOrThrow(RotateProviderBody, payload.body);
  const { providerId } = payload;
  const now = deps.now();
  const [rotated] = await runCommand<ProviderState, ProviderEvent>(deps.db, {
    streamId: `provider-${providerId}`,
    streamType: 'provider',
    fold: foldProvider,
    decide: (state) =>
      decideRotateProviderSecret(
        { type: 'RotateProviderSecret', providerId, apiKeyHint: secretHint(apiKey), now },
        state,
      ),
    actor: payload.actor,
    now,
    alsoInTransaction: async (trx, events) => {
      const [event] = events;
      if (event?.type === 'ProviderSecretRotated')
        await storeSecret(trx, deps.keks, { providerId, version: event.data.secretVersion, secret: apiKey });
    },
  });
  return { providerId, secretVersion: rotated.type === 'ProviderSecretRotated' ? rotated.data.secretVersion : 0 };
}
