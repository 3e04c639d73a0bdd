import { sql } from 'kysely';
import { ErrorCodes, hashVirtualKey, isWellFormedVirtualKey } from '@sluice/contracts';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { readStream } from '@sluice/event-store';
import type { Deps } from '../../shared/deps';
import { IDEMPOTENCY_WINDOW_MS } from '../../shared/idempotency';
import { createKey } from '../create-key/create-key.handler';
import { revokeKey } from '../revoke-key/revoke-key.handler';
import { regenerateKey } from './regenerate-key.handler';
import { testDeps } from '../../../test/deps';

const actor = { actor: 'admin:test', requestId: 'req-1' };

describe('regenerate a key (real Postgres)', () => {
  let t: TestDatabase;
  let deps: Deps;
  let clock = Date.now();

  beforeAll(async () => {
    t = await createTestDatabase();
    deps = testDeps(t.db, () => new Date(clock));
  });
  afterAll(() => t.drop());

  const newKey = async (name: string) => (await createKey(deps, { body: { name }, actor })).keyId;
  const regenerations = async (keyId: string) =>
    (await readStream(t.db, `key-${keyId}`)).filter((e) => e.type === 'KeyRegenerated');

  it('makes exactly one secret for concurrent retries with the same Idempotency-Key', async () => {
    const keyId = await newKey('concurrent');
    const attempts = await Promise.all(
      Array.from({ length: 8 }, () =>
        regenerateKey(deps, { keyId, body: { gracePeriodSeconds: 60 }, idempotencyKey: 'retry-me', actor }),
      ),
    );
    const secrets = new Set(attempts.map((a) => a.key));
    expect(secrets.size).toBe(1);
    expect(attempts.filter((a) => !a.replayed)).toHaveLength(1);
    const [secret] = secrets;
    expect(isWellFormedVirtualKey(secret)).toBe(true);
    expect(await regenerations(keyId)).toHaveLength(1);
    const row = await t.db
      .selectFrom('keys_view')
      .select(['key_hash', 'version'])
      .where('id', '=', keyId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ key_hash: hashVirtualKey(secret), version: 2 });
  });

  it('replays the same secret on a later retry and refuses the key for another request', async () => {
    const keyId = await newKey('retried');
    const other = await newKey('other');
    const first = await regenerateKey(deps, { keyId, body: {}, idempotencyKey: 'once', actor });
    expect(await regenerateKey(deps, { keyId, body: {}, idempotencyKey: 'once', actor })).toEqual({
      ...first,
      replayed: true,
    });
    await expect(
      regenerateKey(deps, { keyId, body: { gracePeriodSeconds: 5 }, idempotencyKey: 'once', actor }),
    ).rejects.toMatchObject({
      code: ErrorCodes.idempotencyKeyReused,
    });
    await expect(regenerateKey(deps, { keyId: other, body: {}, idempotencyKey: 'once', actor })).rejects.toMatchObject({
      code: ErrorCodes.idempotencyKeyReused,
    });
    expect(await regenerations(keyId)).toHaveLength(1);
    expect(await regenerations(other)).toHaveLength(0);
  });

  it('stores the replayable result encrypted: no secret in the idempotency table, the events or the read model', async () => {
    const keyId = await newKey('sealed');
    const { key } = await regenerateKey(deps, { keyId, idempotencyKey: 'sealed-1', actor });
    const { rows } = await sql<{ dump: string }>`select
      (select string_agg(r::text || encode(ciphertext, 'escape') || encode(wrapped_key, 'escape'), '') from idempotency_records r) ||
      (select string_agg(data::text || metadata::text, '') from events) ||
      (select string_agg(k::text, '') from keys_view k) as dump`.execute(t.db);
    expect(rows[0].dump).not.toContain(key);
    expect(rows[0].dump).not.toContain(key.slice(10, 30));
  });

  it('forgets a result after 24 hours: the same Idempotency-Key then makes a new secret', async () => {
    const keyId = await newKey('window');
    const first = await regenerateKey(deps, { keyId, idempotencyKey: 'daily', actor });
    clock += IDEMPOTENCY_WINDOW_MS;
    const second = await regenerateKey(deps, { keyId, idempotencyKey: 'daily', actor });
    expect(second.key).not.toBe(first.key);
    expect(second.replayed).toBe(false);
    const rows = await t.db
      .selectFrom('idempotency_records')
      .select('expires_at')
      .where('idempotency_key', '=', 'daily')
      .execute();
    expect(rows).toHaveLength(1);
    expect(new Date(rows[0].expires_at).getTime()).toBe(clock + IDEMPOTENCY_WINDOW_MS);
  });

  it('makes a new secret on every call without an Idempotency-Key', async () => {
    const keyId = await newKey('plain');
    const a = await regenerateKey(deps, { keyId, actor });
    const b = await regenerateKey(deps, { keyId, actor });
    expect(a.key).not.toBe(b.key);
    const [, second] = await regenerations(keyId);
    expect(second.data).toMatchObject({
      keyHash: hashVirtualKey(b.key),
      previousKeyHash: hashVirtualKey(a.key),
      previousKeyExpiresAt: null,
    });
  });

  it('refuses a revoked key, with or without an Idempotency-Key, and stores nothing', async () => {
    const keyId = await newKey('gone');
    await revokeKey(deps, { keyId, actor });
    await expect(regenerateKey(deps, { keyId, actor })).rejects.toMatchObject({ code: ErrorCodes.keyNotActive });
    await expect(regenerateKey(deps, { keyId, idempotencyKey: 'gone-1', actor })).rejects.toMatchObject({
      code: ErrorCodes.keyNotActive,
    });
    expect(
      await t.db.selectFrom('idempotency_records').select('actor').where('idempotency_key', '=', 'gone-1').execute(),
    ).toEqual([]);
  });
});
