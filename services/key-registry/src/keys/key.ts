import { DomainError, ErrorCodes } from '@sluice/contracts';

/** The key aggregate: state folded from its stream, and the events its commands decide. */
export type KeyState =
  | { status: 'none' }
  | { status: 'active'; keyId: string; name: string }
  | { status: 'revoked'; keyId: string; name: string; revokedAt: string };

export type KeyEvent =
  | {
      type: 'KeyCreated';
      data: {
        keyId: string;
        name: string;
        description: string | null;
        keyHash: string;
        keyHint: string;
        models: string[] | null;
        operations: string[] | null;
        expiresAt: string | null;
        metadata: Record<string, unknown>;
        createdAt: string;
      };
    }
  | { type: 'KeyRevoked'; data: { keyId: string; revokedAt: string } };

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
