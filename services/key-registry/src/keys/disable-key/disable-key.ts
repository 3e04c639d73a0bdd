import { DomainError, ErrorCodes } from '@sluice/contracts';
import { liveKey, type KeyEvent, type KeyState } from '../key';

export interface DisableKey {
  type: 'DisableKey';
  keyId: string;
  now: Date;
}

/** Suspends a key: refused on its next call until it is enabled again. */
export function decideDisableKey(command: DisableKey, state: KeyState): KeyEvent[] {
  const key = liveKey(state, command.keyId);
  if (key.status === 'disabled')
    throw new DomainError(ErrorCodes.keyAlreadyDisabled, `key ${command.keyId} is already disabled`);
  return [{ type: 'KeyDisabled', data: { keyId: command.keyId, disabledAt: command.now.toISOString() } }];
}
