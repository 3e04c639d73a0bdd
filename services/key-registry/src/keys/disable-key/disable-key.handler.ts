import type { Actor } from '@sluice/contracts';
import type { Deps } from '../../shared/deps';
import { runKeyCommand } from '../key-stream';
import { decideDisableKey } from './disable-key';

export async function disableKey(deps: Deps, payload: { keyId: string; actor: Actor }): Promise<{ keyId: string }> {
  await runKeyCommand(deps, payload.keyId, payload.actor, (state, now) =>
    decideDisableKey({ type: 'DisableKey', keyId: payload.keyId, now }, state),
  );
  return { keyId: payload.keyId };
}
