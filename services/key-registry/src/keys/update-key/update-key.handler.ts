import { parseOrThrow, UpdateKeyBody, type Actor } from '@sluice/contracts';
import type { Deps } from '../../shared/deps';
import { runKeyCommand } from '../key-stream';
import { assertProvidersExist } from '../provider-binding';
import { assertWebhookUrlAllowed } from '../webhook-url';
import { decideUpdateKey } from './update-key';

/** PATCH: `changed` is false when every named setting already had the requested value. */
export async function updateKey(deps: Deps, payload: { keyId: string; body: unknown; actor: Actor }): Promise<{ keyId: string; changed: boolean }> {
  const body = parseOrThrow(UpdateKeyBody, payload.body);
  await assertProvidersExist(deps.db, body.providerIds);
  await assertWebhookUrlAllowed(deps.upstream, body.budget);
  const events = await runKeyCommand(deps, payload.keyId, payload.actor, (state, now) => decideUpdateKey({ type: 'UpdateKey', keyId: payload.keyId, body, now }, state));
  return { keyId: payload.keyId, changed: events.length > 0 };
}
