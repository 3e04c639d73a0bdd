import type { Actor } from '@sluice/contracts';
import type { Deps } from '../../shared/deps';
import { runKeyCommand } from '../key-stream';
import { decideRevokeKey } from './revoke-key';

export async function revokeKey(deps: Deps, payload: { keyId: string; actor: Actor }): Promise<{ keyId: string }> {
  await runKeyCommand(deps, payload.keyId, payload.actor, (state, now) =>
    decideRevokeKey({ type: 'RevokeKey', keyId: payload.keyId, now }, state),
  );
  return { keyId: payload.keyId };
}
