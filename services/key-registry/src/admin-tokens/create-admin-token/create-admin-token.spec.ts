import { ErrorCodes } from '@sluice/contracts';
import { adminTokenCreated, given, NOW } from '../../../test/given-admin-token';
import type { AdminTokenState } from '../admin-token';
import { decideCreateAdminToken } from './create-admin-token';

const create = (role: 'owner' | 'operator' | 'auditor') => (state: AdminTokenState) =>
  decideCreateAdminToken(
    {
      type: 'CreateAdminToken',
      tokenId: 'adm_1',
      tokenHash: 'hash-1',
      tokenHint: 'sk-sluice-admin-AAAA…1111',
      body: { name: 'ci', role },
      now: NOW,
    },
    state,
  );

describe('create an admin token', () => {
  it('records the role, the hash and the hint, never the token', () => {
    given()
      .when(create('auditor'))
      .then([
        {
          type: 'AdminTokenCreated',
          data: {
            tokenId: 'adm_1',
            name: 'ci',
            role: 'auditor',
            tokenHash: 'hash-1',
            tokenHint: 'sk-sluice-admin-AAAA…1111',
            createdAt: NOW.toISOString(),
          },
        },
      ]);
  });

  it('cannot create the same token twice', () => {
    given(adminTokenCreated()).when(create('owner')).thenThrows(ErrorCodes.conflict);
  });
});
