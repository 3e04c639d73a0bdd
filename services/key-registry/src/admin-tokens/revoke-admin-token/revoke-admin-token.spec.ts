import { ErrorCodes } from '@sluice/contracts';
import { adminTokenCreated, adminTokenRevoked, given, NOW } from '../../../test/given-admin-token';
import type { AdminTokenState } from '../admin-token';
import { decideRevokeAdminToken } from './revoke-admin-token';

const revoke = (state: AdminTokenState) =>
  decideRevokeAdminToken({ type: 'RevokeAdminToken', tokenId: 'adm_1', now: NOW }, state);

describe('revoke an admin token', () => {
  it('revokes an active token', () => {
    given(adminTokenCreated())
      .when(revoke)
      .then([{ type: 'AdminTokenRevoked', data: { tokenId: 'adm_1', revokedAt: NOW.toISOString() } }]);
  });

  it('refuses an unknown token', () => {
    given().when(revoke).thenThrows(ErrorCodes.adminTokenNotFound);
  });

  it('refuses to revoke twice', () => {
    given(adminTokenCreated(), adminTokenRevoked).when(revoke).thenThrows(ErrorCodes.adminTokenAlreadyRevoked);
  });
});
