import { parseEvent, type ErrorCode } from '@sluice/contracts';
import { foldAdminToken, type AdminTokenEvent, type AdminTokenState } from '../src/admin-tokens/admin-token';

export const NOW = new Date('2026-11-24T12:00:00Z');

/** given(events).when(decide).then(events) or .thenThrows(code), for the admin-token aggregate, through the contract's schemas. */
export function given(...history: AdminTokenEvent[]) {
  const state = foldAdminToken(history.map(throughContract));
  return {
    when: (decide: (state: AdminTokenState) => AdminTokenEvent[]) => ({
      then: (expected: AdminTokenEvent[]) => {
        const decided = decide(state);
        expect(decided.map(throughContract)).toEqual(decided);
        expect(decided).toEqual(expected);
      },
      thenThrows: (code: ErrorCode) => expect(() => decide(state)).toThrow(expect.objectContaining({ code })),
    }),
  };
}

const throughContract = (event: AdminTokenEvent) => parseEvent(JSON.parse(JSON.stringify(event))) as AdminTokenEvent;

export const adminTokenCreated = (role: 'owner' | 'operator' | 'auditor' = 'operator'): AdminTokenEvent => ({
  type: 'AdminTokenCreated',
  data: { tokenId: 'adm_1', name: 'ci', role, tokenHash: 'hash-1', tokenHint: 'sk-sluice-admin-AAAA…1111', createdAt: '2026-11-23T12:00:00.000Z' },
});
export const adminTokenRevoked: AdminTokenEvent = { type: 'AdminTokenRevoked', data: { tokenId: 'adm_1', revokedAt: '2026-11-24T11:00:00.000Z' } };
