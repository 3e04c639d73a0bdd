import { ErrorCodes, given, keyCreated, NOW } from '../../../test/given';
import type { CreateKeyBody } from '@sluice/contracts';
import type { KeyState } from '../key';
import { decideCreateKey } from './create-key';

const create = (body: CreateKeyBody) => (state: KeyState) =>
  decideCreateKey(
    { type: 'CreateKey', keyId: 'key_1', keyHash: 'hash-1', keyHint: 'sk-sluice-AAAA…1111', body, now: NOW },
    state,
  );

describe('create a key', () => {
  it('creates a key with every permission absent meaning "all"', () => {
    given()
      .when(create({ name: 'app' }))
      .then([keyCreated({ createdAt: NOW.toISOString() })]);
  });

  it('refuses an expiry in the past', () => {
    given()
      .when(create({ name: 'x', expiresAt: '2020-01-01T00:00:00Z' }))
      .thenThrows(ErrorCodes.validation);
  });

  it('cannot create the same key twice', () => {
    given(keyCreated())
      .when(create({ name: 'app' }))
      .thenThrows(ErrorCodes.conflict);
  });
});
