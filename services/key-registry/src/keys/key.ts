import type { z } from 'zod';
import {
  DomainError,
  ErrorCodes,
  type KeyCreatedV1,
  type KeyDisabledV1,
  type KeyEnabledV1,
  type KeyRegeneratedV1,
  type KeyRevokedV1,
  type KeySettings,
  type KeyUpdatedV1,
} from '@sluice/contracts';

/** What every existing key carries, whatever its status. */
export interface KeyFacts {
  keyId: string;
  keyHash: string;
  settings: KeySettings;
}

/** The key aggregate: state folded from its stream, and the events its commands decide. */
export type KeyState =
  | { status: 'none' }
  | ({ status: 'active' } & KeyFacts)
  | ({ status: 'disabled' } & KeyFacts)
  | ({ status: 'revoked'; revokedAt: string } & KeyFacts);

export type KeyEvent =
  | { type: 'KeyCreated'; data: z.infer<typeof KeyCreatedV1> }
  | { type: 'KeyUpdated'; data: z.infer<typeof KeyUpdatedV1> }
  | { type: 'KeyRegenerated'; data: z.infer<typeof KeyRegeneratedV1> }
  | { type: 'KeyDisabled'; data: z.infer<typeof KeyDisabledV1> }
  | { type: 'KeyEnabled'; data: z.infer<typeof KeyEnabledV1> }
  | { type: 'KeyRevoked'; data: z.infer<typeof KeyRevokedV1> };

export const initialKeyState: KeyState = { status: 'none' };

export function evolveKey(state: KeyState, event: KeyEvent): KeyState {
  switch (event.type) {
    case 'KeyCreated': {
      const { keyId, keyHash, keyHint: _hint, createdAt: _at, ...settings } = event.data;
      return { status: 'active', keyId, keyHash, settings };
    }
    case 'KeyUpdated':
      if (state.status === 'none') return state;
      return { ...state, settings: { ...state.settings, ...definedOnly(event.data.after) } };
    case 'KeyRegenerated':
      if (state.status === 'none') return state;
      return { ...state, keyHash: event.data.keyHash };
    case 'KeyDisabled':
      if (state.status === 'none') return state;
      return { status: 'disabled', keyId: state.keyId, keyHash: state.keyHash, settings: state.settings };
    case 'KeyEnabled':
      if (state.status === 'none') return state;
      return { status: 'active', keyId: state.keyId, keyHash: state.keyHash, settings: state.settings };
    case 'KeyRevoked':
      if (state.status === 'none') return state;
      return { status: 'revoked', keyId: state.keyId, keyHash: state.keyHash, settings: state.settings, revokedAt: event.data.revokedAt };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

export const foldKey = (events: KeyEvent[]): KeyState => events.reduce(evolveKey, initialKeyState);

/** The key as it stands, for the commands that change an existing key; refuses a missing or revoked one. */
export function liveKey(state: KeyState, keyId: string): Extract<KeyState, { status: 'active' | 'disabled' }> {
  switch (state.status) {
    case 'none':
      throw keyNotFound(keyId);
    case 'revoked':
      throw new DomainError(ErrorCodes.keyNotActive, `key ${keyId} is revoked`);
    case 'active':
    case 'disabled':
      return state;
    default: {
      const unknown: never = state;
      return unknown;
    }
  }
}

export function keyNotFound(keyId: string): DomainError {
  return new DomainError(ErrorCodes.keyNotFound, `key ${keyId} does not exist`);
}

function definedOnly<T extends object>(change: T): Partial<T> {
  return Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as Partial<T>;
}
