import { DomainError, ErrorCodes } from '@sluice/contracts';
import { keyNotFound, type KeyEvent, type KeyState } from '../key';

export interface RevokeKey {
  type: 'RevokeKey';
  keyId: string;
  now: Date;
}

/** Revoked for good, from active or disabled; the history stays and the name is free again. */
export function decideRevokeKey(command: RevokeKey, state: KeyState): KeyEvent[] {
  switch (state.status) {
    case 'none':
      throw keyNotFound(command.keyId);
    case 'revoked':
      throw new DomainError(ErrorCodes.keyAlreadyRevoked, `key ${command.keyId} is already revoked`);
    case 'active':
    case 'disabled':
      return [{ type: 'KeyRevoked', data: { keyId: command.keyId, revokedAt: command.now.toISOString() } }];
    default: {
      const unknown: never = state;
      return unknown;
    }
  }
}
