import { CreateKeyBody, generateVirtualKey, hashVirtualKey, keyHint, parseOrThrow, type Actor } from '@sluice/contracts';
import { runCommand } from '../../shared/command-store';
import type { Deps } from '../../shared/deps';
import { foldKey, type KeyEvent } from '../key';
import { decideCreateKey } from './create-key';

/** Creates a key; the secret is returned once, here, and stored only as its hash. */
export async function createKey(deps: Deps, payload: { body: unknown; actor: Actor }): Promise<{ keyId: string; key: string }> {
  const body = parseOrThrow(CreateKeyBody, payload.body);
  const keyId = deps.newId('key');
  const secret = generateVirtualKey();
  const now = deps.now();
  await runCommand<ReturnType<typeof foldKey>, KeyEvent>(deps.db, {
    streamId: `key-${keyId}`,
    streamType: 'key',
    fold: foldKey,
    decide: (state) => decideCreateKey({ type: 'CreateKey', keyId, keyHash: hashVirtualKey(secret), keyHint: keyHint(secret), body, now }, state),
    actor: payload.actor,
    now,
  });
  return { keyId, key: secret };
}
