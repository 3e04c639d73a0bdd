import type { Actor } from '@sluice/contracts';
import type { Deps } from '../../shared/deps';
import { runKeyCommand } from '../key-stream';
import { decideEnableKey } from './enable-key';

export async function enableKey(deps: Deps, payload: { keyId: string; actor: Actor }): Promise<{ keyId: string }> {
  await runKeyCommand(deps, payload.keyId, payload.actor, (state, now) =>
    decideEnableKey({ type: 'EnableKey', keyId: payload.keyId, now }, state),
  );
  return { keyId: payload.keyId };
}
