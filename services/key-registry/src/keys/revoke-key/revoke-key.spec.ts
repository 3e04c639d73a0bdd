import { ErrorCodes, given, keyCreated, keyDisabled, keyRevoked, NOW } from '../../../test/given';
import type { KeyState } from '../key';
import { decideRevokeKey } from './revoke-key';

const revoke = (state: KeyState) => decideRevokeKey({ type: 'RevokeKey', keyId: 'key_1', now: NOW }, state);
const revoked = [{ type: 'KeyRevoked' as const, data: { keyId: 'key_1', revokedAt: NOW.toISOString() } }];

describe('revoke a key', () => {
  it('revokes an active or a disabled key', () => {
    given(keyCreated()).when(revoke).then(revoked);
    given(keyCreated(), keyDisabled).when(revoke).then(revoked);
  });

  it('revokes only once', () => {
    given(keyCreated(), keyRevoked).when(revoke).thenThrows(ErrorCodes.keyAlreadyRevoked);
  });

  it('cannot revoke a key that does not exist', () => {
    given().when(revoke).thenThrows(ErrorCodes.keyNotFound);
  });
});
