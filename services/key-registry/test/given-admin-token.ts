import { deciderHarness } from '@sluice/testing';
import { foldAdminToken, type AdminTokenEvent } from '../src/admin-tokens/admin-token';

export const NOW = new Date('2026-11-24T12:00:00Z');

/** given(events).when(decide).then(events) or .thenThrows(code), for the admin-token aggregate. */
export const given = deciderHarness(foldAdminToken);

export const adminTokenCreated = (role: 'owner' | 'operator' | 'auditor' = 'operator'): AdminTokenEvent => ({
  type: 'AdminTokenCreated',
  data: {
    tokenId: 'adm_1',
    name: 'ci',
    role,
    tokenHash: 'hash-1',
    tokenHint: 'sk-sluice-admin-AAAA…1111',
    createdAt: '2026-11-23T12:00:00.000Z',
  },
});
export const adminTokenRevoked: AdminTokenEvent = {
  type: 'AdminTokenRevoked',
  data: { tokenId: 'adm_1', revokedAt: '2026-11-24T11:00:00.000Z' },
};
