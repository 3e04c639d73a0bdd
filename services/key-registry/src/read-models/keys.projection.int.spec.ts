import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { readStream } from '@sluice/event-store';
import { hashVirtualKey } from '@sluice/contracts';
import { createKey } from '../keys/create-key/create-key.handler';
import { disableKey } from '../keys/disable-key/disable-key.handler';
import { enableKey } from '../keys/enable-key/enable-key.handler';
import { regenerateKey } from '../keys/regenerate-key/regenerate-key.handler';
import { revokeKey } from '../keys/revoke-key/revoke-key.handler';
import { updateKey } from '../keys/update-key/update-key.handler';
import type { Deps } from '../shared/deps';
import { projectEvent } from './project';
import { testDeps } from '../../test/deps';

const actor = { actor: 'admin:test' };

describe('keys_view follows the whole key lifecycle (real Postgres)', () => {
  let t: TestDatabase;
  let deps: Deps;
  const at = new Date('2030-01-01T00:00:00Z');

  beforeAll(async () => {
    t = await createTestDatabase();
    deps = testDeps(t.db, () => at);
  });
  afterAll(() => t.drop());

  const row = (keyId: string) =>
    t.db.selectFrom('keys_view').selectAll().where('id', '=', keyId).executeTakeFirstOrThrow();

  it('projects every event inline, and a rebuild from the log gives the same row', async () => {
    const { keyId, key: first } = await createKey(deps, { body: { name: 'life', models: ['gpt-*'] }, actor });
    await updateKey(deps, { keyId, body: { operations: ['chat'], expiresAt: '2031-01-01T00:00:00Z' }, actor });
    expect(await row(keyId)).toMatchObject({
      operations: ['chat'],
      expires_at: new Date('2031-01-01T00:00:00Z'),
      version: 2,
    });

    const { key: second } = await regenerateKey(deps, { keyId, body: { gracePeriodSeconds: 90 }, actor });
    expect(await row(keyId)).toMatchObject({
      key_hash: hashVirtualKey(second),
      previous_key_hash: hashVirtualKey(first),
      previous_key_expires_at: new Date(at.getTime() + 90_000),
      version: 3,
    });

    await disableKey(deps, { keyId, actor });
    expect(await row(keyId)).toMatchObject({ status: 'disabled', version: 4 });
    await enableKey(deps, { keyId, actor });
    expect(await row(keyId)).toMatchObject({ status: 'active', version: 5 });
    await revokeKey(deps, { keyId, actor });
    const live = await row(keyId);
    expect(live).toMatchObject({ status: 'revoked', revoked_at: at, models: ['gpt-*'], version: 6, updated_at: at });

    await t.db.deleteFrom('keys_view').where('id', '=', keyId).execute();
    for (const event of await readStream(t.db, `key-${keyId}`)) await projectEvent(t.db, event);
    expect(await row(keyId)).toEqual(live);
  });
});
