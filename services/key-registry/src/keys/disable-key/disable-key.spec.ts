import { ErrorCodes, given, keyCreated, keyDisabled, keyEnabled, keyRevoked, NOW } from '../../../test/given';
import type { KeyState } from '../key';
import { decideDisableKey } from './disable-key';

const disable = (state: KeyState) => decideDisableKey({ type: 'DisableKey', keyId: 'key_1', now: NOW }, state);

describe('disable a key', () => {
  it('suspends an active key', () => {
    given(keyCreated())
      .when(disable)
      .then([{ type: 'KeyDisabled', data: { keyId: 'key_1', disabledAt: NOW.toISOString() } }]);
  });

  it('suspends a key again after it was enabled', () => {
    given(keyCreated(), keyDisabled, keyEnabled)
      .when(disable)
      .then([{ type: 'KeyDisabled', data: { keyId: 'key_1', disabledAt: NOW.toISOString() } }]);
  });

  it('refuses a key that is already disabled, revoked, or does not exist', () => {
    given(keyCreated(), keyDisabled).when(disable).thenThrows(ErrorCodes.keyAlreadyDisabled);
    given(keyCreated(), keyRevoked).when(disable).thenThrows(ErrorCodes.keyNotActive);
    given(keyCreated(), keyDisabled, keyRevoked).when(disable).thenThrows(ErrorCodes.keyNotActive);
    given().when(disable).thenThrows(ErrorCodes.keyNotFound);
  });
});
