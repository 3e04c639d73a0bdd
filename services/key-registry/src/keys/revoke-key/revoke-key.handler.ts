import type { Actor } from '@sluice/contracts';
import { runCommand } from '../../shared/command-store';
import type { Deps } from '../../shared/deps';
import { foldKey, type KeyEvent } from '../key';
import { decideRevokeKey } from './revoke-key';

export async function revokeKey(deps: Deps, payload: { keyId: string; actor: Actor }): Promise<{ keyId: string }> {
  const now = deps.now();
  await runCommand<ReturnType<typeof foldKey>, KeyEvent>(deps.db, {
    streamId: `key-${payload.keyId}`,
    streamType: 'key',
    fold: foldKey,
    decide: (state) => decideRevokeKey({ type: 'RevokeKey', keyId: payload.keyId, now }, state),
    actor: payload.actor,
    now,
  });
  return { keyId: payload.keyId };
}
