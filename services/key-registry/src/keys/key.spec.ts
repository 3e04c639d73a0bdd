import { ErrorCodes } from '@sluice/contracts';
import { decideCreateKey, type CreateKey } from './create-key/create-key';
import { decideRevokeKey } from './revoke-key/revoke-key';
import { foldKey, type KeyEvent } from './key';

const now = new Date('2026-11-24T12:00:00Z');
const create: CreateKey = { type: 'CreateKey', keyId: 'key_1', keyHash: 'h', keyHint: 'sk-sluice-ab…cd', body: { name: 'app' }, now };

const given = (events: KeyEvent[]) => ({
  whenCreate: (cmd: CreateKey) => decideCreateKey(cmd, foldKey(events)),
  whenRevoke: () => decideRevokeKey({ type: 'RevokeKey', keyId: 'key_1', now }, foldKey(events)),
});

describe('key lifecycle', () => {
  const created = decideCreateKey(create, foldKey([]));

  it('creates a key with every permission absent meaning "all"', () => {
    expect(created).toEqual([
      {
        type: 'KeyCreated',
        data: expect.objectContaining({ keyId: 'key_1', name: 'app', models: null, operations: null, expiresAt: null, createdAt: now.toISOString() }),
      },
    ]);
  });

  it('refuses an expiry in the past', () => {
    expect(() => given([]).whenCreate({ ...create, body: { name: 'x', expiresAt: '2020-01-01T00:00:00Z' } })).toThrow(
      expect.objectContaining({ code: ErrorCodes.validation }),
    );
  });

  it('revokes an active key once', () => {
    const revoked = given(created).whenRevoke();
    expect(revoked).toEqual([{ type: 'KeyRevoked', data: { keyId: 'key_1', revokedAt: now.toISOString() } }]);
    expect(() => given([...created, ...revoked]).whenRevoke()).toThrow(expect.objectContaining({ code: ErrorCodes.keyAlreadyRevoked }));
  });

  it('cannot revoke a key that does not exist', () => {
    expect(() => given([]).whenRevoke()).toThrow(expect.objectContaining({ code: ErrorCodes.keyNotFound }));
  });

  it('cannot create the same key twice', () => {
    expect(() => given(created).whenCreate(create)).toThrow(expect.objectContaining({ code: ErrorCodes.conflict }));
  });
});
