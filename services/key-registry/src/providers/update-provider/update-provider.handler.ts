import { parseOrThrow, UpdateProviderBody, type Actor } from '@sluice/contracts';
import { runCommand } from '../../shared/command-store';
import type { Deps } from '../../shared/deps';
import { foldProvider, type ProviderEvent, type ProviderState } from '../provider';
import { assertUpstreamUrlAllowed } from '../upstream-url';
import { decideUpdateProvider } from './update-provider';

/** PATCH name and/or baseUrl; a new base URL is checked like one given at creation. */
export async function updateProvider(
  deps: Deps,
  payload: { providerId: string; body: unknown; actor: Actor },
): Promise<{ providerId: string }> {
  const body = parseOrThrow(UpdateProviderBody, payload.body);
  if (body.baseUrl) await assertUpstreamUrlAllowed(deps.upstream, body.baseUrl);
  const now = deps.now();
  await runCommand<ProviderState, ProviderEvent>(deps.db, {
    streamId: `provider-${payload.providerId}`,
    streamType: 'provider',
    fold: foldProvider,
    decide: (state) =>
      decideUpdateProvider({ type: 'UpdateProvider', providerId: payload.providerId, body, now }, state),
    actor: payload.actor,
    now,
  });
  return { providerId: payload.providerId };
}
