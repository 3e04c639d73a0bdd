import { sql } from 'kysely';
import { ErrorCodes, hashVirtualKey, isWellFormedVirtualKey } from '@sluice/contracts';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { readStream } from '@sluice/event-store';
import { addProvider } from '../../providers/add-provider/add-provider.handler';
import { listCredentials } from '../../providers/credentials/credentials.handler';
import type { Deps } from '../../shared/deps';
import { revokeKey } from '../revoke-key/revoke-key.handler';
import { createKey } from './create-key.handler';
import { testDeps } from '../../../test/deps';

const actor = { actor: 'admin:test', requestId: 'req-1', clientIp: '198.51.100.7' };

describe('key-registry commands (real Postgres)', () => {
  let t: TestDatabase;
  let deps: Deps;

  beforeAll(async () => {
    t = await createTestDatabase();
    deps = testDeps(t.db);
  });
  afterAll(() => t.drop());

  it('creates a key whose secret is shown once and stored only as a hash', async () => {
    const { keyId, key } = await createKey(deps, { body: { name: 'billing', models: ['gpt-*'] }, actor });
    expect(isWellFormedVirtualKey(key)).toBe(true);
    const [event] = await readStream(t.db, `key-${keyId}`);
    expect(event).toMatchObject({
      type: 'KeyCreated',
      data: { keyHash: hashVirtualKey(key), models: ['gpt-*'] },
      metadata: { actor: 'admin:test', requestId: 'req-1', clientIp: '198.51.100.7' },
    });
    const { rows } = await sql<{
      dump: string;
    }>`select (select string_agg(data::text, '') from events) || (select string_agg(k::text, '') from keys_view k) as dump`.execute(
      t.db,
    );
    expect(rows[0].dump).not.toContain(key);
  });

  it('lets exactly one of two concurrent creates with the same name win, and frees the name on revoke', async () => {
    const results = await Promise.allSettled([
      createKey(deps, { body: { name: 'dup' }, actor }),
      createKey(deps, { body: { name: 'dup' }, actor }),
    ]);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toMatchObject({ code: ErrorCodes.keyNameTaken });
    const winner = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ keyId: string }>;
    await revokeKey(deps, { keyId: winner.value.keyId, actor });
    await expect(revokeKey(deps, { keyId: winner.value.keyId, actor })).rejects.toMatchObject({
      code: ErrorCodes.keyAlreadyRevoked,
    });
    await expect(createKey(deps, { body: { name: 'dup' }, actor })).resolves.toBeDefined();
  });

  it('refuses unknown fields instead of ignoring them', async () => {
    await expect(createKey(deps, { body: { name: 'x', colour: 'red' }, actor })).rejects.toMatchObject({
      code: ErrorCodes.validation,
    });
    await expect(
      createKey(deps, { body: { name: 'x', budget: { maxUsd: 1, resetDay: 1 } }, actor }),
    ).rejects.toMatchObject({ code: ErrorCodes.validation });
  });

  it('keeps provider secrets encrypted in the vault and out of the log, and decrypts them for the gateway', async () => {
    const secret = 'sk-provider-secret-abcdef123456';
    const { providerId } = await addProvider(deps, {
      body: { name: 'openai-prod', type: 'openai', apiKey: secret },
      actor,
    });
    const { rows } = await sql<{ dump: string }>`select
      (select string_agg(data::text || metadata::text, '') from events) ||
      (select string_agg(encode(ciphertext, 'escape') || encode(wrapped_key, 'escape'), '') from provider_secrets) ||
      (select string_agg(p::text, '') from providers_view p) as dump`.execute(t.db);
    expect(rows[0].dump).not.toContain(secret);
    const credentials = await listCredentials(deps, { providerIds: [providerId] });
    expect(credentials).toEqual([{ providerId, type: 'openai', baseUrl: null, apiKey: secret, secretVersion: 1 }]);
  });
});
