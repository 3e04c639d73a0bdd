import type { z } from 'zod';
import { DomainError, ErrorCodes, type KeyCreatedV1, type KeyRevokedV1 } from '@sluice/contracts';

/** The key aggregate: state folded from its stream, and the events its commands decide. */
export type KeyState =
  | { status: 'none' }
  | { status: 'active'; keyId: string; name: string }
  | { status: 'revoked'; keyId: string; name: string; revokedAt: string };

export type KeyEvent =
  | { type: 'KeyCreated'; data: z.infer<typeof KeyCreatedV1> }
  | { type: 'KeyRevoked'; data: z.infer<typeof KeyRevokedV1> };

export const initialKeyState: KeyState = { status: 'none' };

export function evolveKey(state: KeyState, event: KeyEvent): KeyState {
  switch (event.type) {
    case 'KeyCreated':
      return { status: 'active', keyId: event.data.keyId, name: event.data.name };
    case 'KeyRevoked':
      if (state.status === 'none') return state;
      return { status: 'revoked', keyId: state.keyId, name: state.name, revokedAt: event.data.revokedAt };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

export const foldKey = (events: KeyEvent[]): KeyState => events.reduce(evolveKey, initialKeyState);

export function keyNotFound(keyId: string): DomainError {
  return new DomainError(ErrorCodes.keyNotFound, `key ${keyId} does not exist`);
}
