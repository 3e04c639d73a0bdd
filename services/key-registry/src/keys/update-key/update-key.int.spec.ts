import { ErrorCodes } from '@sluice/contracts';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { readStream } from '@sluice/event-store';
import type { Deps } from '../../shared/deps';
import { createKey } from '../create-key/create-key.handler';
import { revokeKey } from '../revoke-key/revoke-key.handler';
import { updateKey } from './update-key.handler';
import { testDeps } from '../../../test/deps';

const actor = { actor: 'admin:test', requestId: 'req-2' };

describe('update a key (real Postgres)', () => {
  let t: TestDatabase;
  let deps: Deps;

  beforeAll(async () => {
    t = await createTestDatabase();
    deps = testDeps(t.db);
  });
  afterAll(() => t.drop());

  const create = async (body: object) => (await createKey(deps, { body, actor })).keyId;
  const row = (keyId: string) =>
    t.db
      .selectFrom('keys_view')
      .select(['name', 'models', 'ip_allowlist', 'metadata', 'version', 'updated_at'])
      .where('id', '=', keyId)
      .executeTakeFirstOrThrow();

  it('changes the read model and records the change with its actor', async () => {
    const keyId = await create({ name: 'patch-me', models: ['gpt-*'] });
    expect(
      await updateKey(deps, {
        keyId,
        body: { models: ['claude-*'], ipAllowlist: ['10.0.0.0/8'], metadata: { team: 'x' } },
        actor,
      }),
    ).toEqual({ keyId, changed: true });
    expect(await row(keyId)).toMatchObject({
      models: ['claude-*'],
      ip_allowlist: ['10.0.0.0/8'],
      metadata: { team: 'x' },
      version: 2,
      updated_at: expect.any(Date),
    });
    const [, event] = await readStream(t.db, `key-${keyId}`);
    expect(event).toMatchObject({
      type: 'KeyUpdated',
      data: { before: { models: ['gpt-*'], ipAllowlist: null, metadata: {} } },
      metadata: { actor: 'admin:test' },
    });
  });

  it('appends nothing when nothing changes', async () => {
    const keyId = await create({ name: 'same', models: ['gpt-*'] });
    expect(await updateKey(deps, { keyId, body: { name: 'same', models: ['gpt-*'] }, actor })).toEqual({
      keyId,
      changed: false,
    });
    expect(await readStream(t.db, `key-${keyId}`)).toHaveLength(1);
    expect((await row(keyId)).version).toBe(1);
  });

  it('refuses a name a live key has, and accepts one a revoked key had', async () => {
    const taken = await create({ name: 'taken' });
    const keyId = await create({ name: 'mine' });
    await expect(updateKey(deps, { keyId, body: { name: 'taken' }, actor })).rejects.toMatchObject({
      code: ErrorCodes.keyNameTaken,
    });
    expect(await readStream(t.db, `key-${keyId}`)).toHaveLength(1);
    await revokeKey(deps, { keyId: taken, actor });
    await updateKey(deps, { keyId, body: { name: 'taken' }, actor });
    expect((await row(keyId)).name).toBe('taken');
  });

  it('refuses fields it does not know and an empty change', async () => {
    const keyId = await create({ name: 'strict' });
    await expect(updateKey(deps, { keyId, body: { colour: 'red' }, actor })).rejects.toMatchObject({
      code: ErrorCodes.validation,
    });
    await expect(
      updateKey(deps, { keyId, body: { budget: { maxUsd: 1, period: '1w' } }, actor }),
    ).rejects.toMatchObject({ code: ErrorCodes.validation });
    await expect(updateKey(deps, { keyId, body: {}, actor })).rejects.toMatchObject({ code: ErrorCodes.validation });
  });
});
