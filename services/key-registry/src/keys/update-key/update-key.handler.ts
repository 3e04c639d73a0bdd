import { parseOrThrow, UpdateKeyBody, type Actor } from '@sluice/contracts';
import type { Deps } from '../../shared/deps';
import { runKeyCommand } from '../key-stream';
import { assertProvidersExist } from '../provider-binding';
import { assertWebhookUrlAllowed } from '../webhook-url';
import { keepWebhookUrl, readWebhookUrl } from '../webhook-vault';
import { decideUpdateKey } from './update-key';

/** PATCH: `changed` is false when every named setting already had the requested value. */
export async function updateKey(
  deps: Deps,
  payload: { keyId: string; body: unknown; actor: Actor },
): Promise<{ keyId: string; changed: boolean }> {
  const body = parseOrThrow(UpdateKeyBody, payload.body);
  await assertProvidersExist(deps.db, body.providerIds);
  await assertWebhookUrlAllowed(deps.upstream, body.budget);
  const { keyId } = payload;
  // Compared with the new one: two URLs may share a hint.
  const currentWebhookUrl = body.budget !== undefined ? await readWebhookUrl(deps.db, deps.keks, keyId) : null;
  const events = await runKeyCommand(
    deps,
    keyId,
    payload.actor,
    (state, now) => decideUpdateKey({ type: 'UpdateKey', keyId, body, currentWebhookUrl, now }, state),
    async (trx, decided) => {
      if (
        body.budget !== undefined &&
        decided.some((e) => e.type === 'KeyUpdated' && e.data.after.budget !== undefined)
      )
        await keepWebhookUrl(trx, deps.keks, keyId, body.budget);
    },
  );
  return { keyId: payload.keyId, changed: events.length > 0 };
}
