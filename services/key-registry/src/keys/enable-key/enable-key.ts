import { DomainError, ErrorCodes } from '@sluice/contracts';
import { liveKey, type KeyEvent, type KeyState } from '../key';

export interface EnableKey {
  type: 'EnableKey';
  keyId: string;
  now: Date;
}

export function decideEnableKey(command: EnableKey, state: KeyState): KeyEvent[] {
  const key = liveKey(state, command.keyId);
  if (key.status === 'active') throw new DomainError(ErrorCodes.keyNotDisabled, `key ${command.keyId} is not disabled`);
  return [{ type: 'KeyEnabled', data: { keyId: command.keyId, enabledAt: command.now.toISOString() } }];
}
