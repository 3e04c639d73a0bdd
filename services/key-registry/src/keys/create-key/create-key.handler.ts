import {
  CreateKeyBody,
  generateVirtualKey,
  hashVirtualKey,
  keyHint,
  parseOrThrow,
  type Actor,
} from '@sluice/contracts';
import type { Deps } from '../../shared/deps';
import { runKeyCommand } from '../key-stream';
import { assertProvidersExist } from '../provider-binding';
import { assertWebhookUrlAllowed } from '../webhook-url';
import { storeWebhookUrl } from '../webhook-vault';
import { decideCreateKey } from './create-key';

/** Creates a key; the secret is returned once, here, and stored only as its hash. */
export async function createKey(
  deps: Deps,
  payload: { body: unknown; actor: Actor },
): Promise<{ keyId: string; key: string }> {
  const body = parseOrThrow(CreateKeyBody, payload.body);
  await assertProvidersExist(deps.db, body.providerIds);
  await assertWebhookUrlAllowed(deps.upstream, body.budget);
  const keyId = deps.newId('key');
  const secret = generateVirtualKey();
  const command = {
    type: 'CreateKey',
    keyId,
    keyHash: hashVirtualKey(secret),
    keyHint: keyHint(secret),
    body,
  } as const;
  const webhookUrl = body.budget?.webhookUrl;
  await runKeyCommand(
    deps,
    keyId,
    payload.actor,
    (state, now) => decideCreateKey({ ...command, now }, state),
    async (trx) => {
      if (webhookUrl) await storeWebhookUrl(trx, deps.keks, keyId, webhookUrl);
    },
  );
  return { keyId, key: secret };
}
