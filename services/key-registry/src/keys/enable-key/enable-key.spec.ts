import { ErrorCodes, given, keyCreated, keyDisabled, keyEnabled, keyRevoked, NOW } from '../../../test/given';
import type { KeyState } from '../key';
import { decideEnableKey } from './enable-key';

const enable = (state: KeyState) => decideEnableKey({ type: 'EnableKey', keyId: 'key_1', now: NOW }, state);

describe('enable a key', () => {
  it('resumes a disabled key', () => {
    given(keyCreated(), keyDisabled)
      .when(enable)
      .then([{ type: 'KeyEnabled', data: { keyId: 'key_1', enabledAt: NOW.toISOString() } }]);
  });

  it('refuses a key that is not disabled', () => {
    given(keyCreated()).when(enable).thenThrows(ErrorCodes.keyNotDisabled);
    given(keyCreated(), keyDisabled, keyEnabled).when(enable).thenThrows(ErrorCodes.keyNotDisabled);
  });

  it('never brings back a revoked key', () => {
    given(keyCreated(), keyDisabled, keyRevoked).when(enable).thenThrows(ErrorCodes.keyNotActive);
    given().when(enable).thenThrows(ErrorCodes.keyNotFound);
  });
});
