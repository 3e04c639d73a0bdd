import { DomainError, ErrorCodes } from '@sluice/contracts';
import { adminTokenNotFound, type AdminTokenEvent, type AdminTokenState } from '../admin-token';

export interface RevokeAdminToken {
  type: 'RevokeAdminToken';
  tokenId: string;
  now: Date;
}

/** Revoked for good: the token is refused on its next call; its name can be given to a new token. */
export function decideRevokeAdminToken(command: RevokeAdminToken, state: AdminTokenState): AdminTokenEvent[] {
  switch (state.status) {
    case 'none':
      throw adminTokenNotFound(command.tokenId);
    case 'revoked':
      throw new DomainError(ErrorCodes.adminTokenAlreadyRevoked, `admin token ${command.tokenId} is already revoked`);
    case 'active':
      return [{ type: 'AdminTokenRevoked', data: { tokenId: command.tokenId, revokedAt: command.now.toISOString() } }];
    default: {
      const unknown: never = state;
      return unknown;
    }
  }
}
