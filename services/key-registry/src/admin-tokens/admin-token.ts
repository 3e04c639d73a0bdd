import type { z } from 'zod';
import {
  DomainError,
  ErrorCodes,
  type AdminRole,
  type AdminTokenCreatedV1,
  type AdminTokenRevokedV1,
  type Actor,
} from '@sluice/contracts';
import { runCommand } from '../shared/command-store';
import type { Deps } from '../shared/deps';

/** The admin-token aggregate: who may administer, with which role, until revoked. */
export type AdminTokenState =
  | { status: 'none' }
  | { status: 'active'; tokenId: string; role: AdminRole }
  | { status: 'revoked'; tokenId: string; role: AdminRole; revokedAt: string };

export type AdminTokenEvent =
  | { type: 'AdminTokenCreated'; data: z.infer<typeof AdminTokenCreatedV1> }
  | { type: 'AdminTokenRevoked'; data: z.infer<typeof AdminTokenRevokedV1> };

export const initialAdminTokenState: AdminTokenState = { status: 'none' };

export function evolveAdminToken(state: AdminTokenState, event: AdminTokenEvent): AdminTokenState {
  switch (event.type) {
    case 'AdminTokenCreated':
      return { status: 'active', tokenId: event.data.tokenId, role: event.data.role };
    case 'AdminTokenRevoked':
      if (state.status === 'none') return state;
      return { status: 'revoked', tokenId: state.tokenId, role: state.role, revokedAt: event.data.revokedAt };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

export const foldAdminToken = (events: AdminTokenEvent[]): AdminTokenState =>
  events.reduce(evolveAdminToken, initialAdminTokenState);

export const adminTokenNotFound = (tokenId: string) =>
  new DomainError(ErrorCodes.adminTokenNotFound, `admin token ${tokenId} does not exist`);

/** Runs one command on an admin token's stream: fold, decide with the injected clock, append, project. */
export function runAdminTokenCommand(
  deps: Deps,
  tokenId: string,
  actor: Actor,
  decide: (state: AdminTokenState, now: Date) => AdminTokenEvent[],
): Promise<AdminTokenEvent[]> {
  const now = deps.now();
  return runCommand<AdminTokenState, AdminTokenEvent>(deps.db, {
    streamId: `admin-token-${tokenId}`,
    streamType: 'admin-token',
    fold: foldAdminToken,
    decide: (state) => decide(state, now),
    actor,
    now,
  });
}
