import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { readStream } from '@sluice/event-store';
import { UpstreamAllowList } from '@sluice/net-policy';
import { randomId, type Deps } from '../../shared/deps';
import { addProvider } from '../add-provider/add-provider.handler';
import { listCredentials } from '../credentials/credentials.handler';
import { rewrapVault } from '../rewrap-vault/rewrap-vault.handler';
import { rotateProviderSecret } from '../rotate-provider/rotate-provider.handler';
import { parseKeks } from './envelope';
import { readSecret } from './vault.repository';
import { createKey } from '../../keys/create-key/create-key.handler';
import { readWebhookUrl } from '../../keys/webhook-vault';

const actor = { actor: 'admin:test', requestId: 'req-vault' };
const v1 = randomBytes(32).toString('base64');
const v2 = randomBytes(32).toString('base64');

describe('the provider vault (real Postgres)', () => {
  let t: TestDatabase;
  const depsWith = (masterKeys: string): Deps => ({
    db: t.db,
    keks: parseKeks(undefined, masterKeys),
    upstream: { allow: UpstreamAllowList.none, resolve: async () => [{ address: '93.184.216.34' }] },
    now: () => new Date(),
    newId: randomId,
  });
  const secretsSeen: string[] = [];
  const currentSecrets = new Map<string, string>();
  const add = async (deps: Deps, name: string) => {
    const secret = `sk-${name}-${randomBytes(12).toString('hex')}`;
    secretsSeen.push(secret);
    const { providerId } = await addProvider(deps, {
      body: { name, type: 'openai-compatible', apiKey: secret, baseUrl: 'https://llm.example.com/v1' },
      actor,
    });
    currentSecrets.set(providerId, secret);
    return { providerId, secret };
  };
  const rotate = async (deps: Deps, providerId: string) => {
    const secret = `sk-rotated-${randomBytes(12).toString('hex')}`;
    secretsSeen.push(secret);
    const rotated = await rotateProviderSecret(deps, { providerId, body: { apiKey: secret }, actor });
    currentSecrets.set(providerId, secret);
    return { ...rotated, secret };
  };
  const vaultRows = () =>
    t.db
      .selectFrom('provider_secrets')
      .select(['provider_id', 'version', 'kek_version', 'ciphertext', 'wrapped_key'])
      .orderBy('provider_id')
      .orderBy('version')
      .execute();

  beforeAll(async () => (t = await createTestDatabase()));
  afterAll(() => t.drop());

  it('rotates to a new vault version, keeps the old versions readable, and serves the newest', async () => {
    const deps = depsWith(`1:${v1}`);
    const { providerId, secret: first } = await add(deps, 'rotating');
    const second = await rotate(deps, providerId);
    const third = await rotate(deps, providerId);
    expect([second.secretVersion, third.secretVersion]).toEqual([2, 3]);

    expect(await listCredentials(deps, { providerIds: [providerId] })).toEqual([
      expect.objectContaining({ apiKey: third.secret, secretVersion: 3 }),
    ]);
    expect(await readSecret(t.db, deps.keks, providerId, 1)).toBe(first);
    expect(await readSecret(t.db, deps.keks, providerId, 2)).toBe(second.secret);
    const view = await t.db
      .selectFrom('providers_view')
      .select(['secret_version', 'api_key_hint'])
      .where('id', '=', providerId)
      .executeTakeFirstOrThrow();
    expect(view).toEqual({ secret_version: 3, api_key_hint: `sk-…${third.secret.slice(-4)}` });
    expect((await readStream(t.db, `provider-${providerId}`)).map((e) => e.type)).toEqual([
      'ProviderAdded',
      'ProviderSecretRotated',
      'ProviderSecretRotated',
    ]);
  });

  it('re-wraps every row under a new KEK, so the secrets open with only the new KEK configured, and can run again', async () => {
    const before = depsWith(`1:${v1}`);
    const { providerId, secret: firstSecret } = await add(before, 'rewrapped');
    const { keyId } = await createKey(before, {
      body: {
        name: 'with-webhook',
        budget: { maxUsd: 1, webhookUrl: 'https://hooks.example.com/T0/B0/XXXXXXXXXXXXXXXX' },
      },
      actor,
    });
    await rotate(before, providerId);
    const rowsBefore = await vaultRows();
    expect(rowsBefore.every((r) => r.kek_version === 1)).toBe(true);

    const during = depsWith(`1:${v1},2:${v2}`);
    const report = await rewrapVault(during, { actor });
    expect(report).toEqual({
      kekVersion: 2,
      rows: rowsBefore.length,
      rewrapped: rowsBefore.length,
      alreadyCurrent: 0,
      failed: [],
      webhookUrls: { rows: 1, rewrapped: 1, alreadyCurrent: 0, failed: [] },
    });
    const rowsAfter = await vaultRows();
    rowsAfter.forEach((row, i) => {
      expect(row.kek_version).toBe(2);
      expect(row.ciphertext.equals(rowsBefore[i].ciphertext)).toBe(true);
      expect(row.wrapped_key.equals(rowsBefore[i].wrapped_key)).toBe(false);
    });
    expect(await rewrapVault(during, { actor })).toEqual({
      kekVersion: 2,
      rows: rowsBefore.length,
      rewrapped: 0,
      alreadyCurrent: rowsBefore.length,
      failed: [],
      webhookUrls: { rows: 1, rewrapped: 0, alreadyCurrent: 1, failed: [] },
    });

    const after = depsWith(`2:${v2}`);
    const served = await listCredentials(after, {});
    expect(new Map(served.map((c) => [c.providerId, c.apiKey]))).toEqual(currentSecrets);
    expect(await readSecret(t.db, after.keks, providerId, 1)).toBe(firstSecret);
    expect(await readWebhookUrl(t.db, after.keks, keyId)).toBe('https://hooks.example.com/T0/B0/XXXXXXXXXXXXXXXX');
    const audit = await t.db
      .selectFrom('events')
      .select(['data'])
      .where('event_type', '=', 'ProviderSecretRewrapped')
      .execute();
    expect(audit).toHaveLength(rowsBefore.length);
    expect(audit.map((e) => e.data)).toContainEqual(
      expect.objectContaining({ providerId, secretVersion: 2, kekVersion: 2 }),
    );
  });

  it('reports, and skips, a row whose KEK is no longer configured', async () => {
    const stale = depsWith(`1:${v1}`);
    const { providerId } = await add(stale, 'stale');
    const report = await rewrapVault(depsWith(`2:${v2},3:${randomBytes(32).toString('base64')}`), { actor });
    expect(report.failed).toEqual([{ providerId, secretVersion: 1, reason: 'master key version 1 is not configured' }]);
    expect(report.rewrapped).toBeGreaterThan(0);
  });

  it('keeps every secret out of the log, the read models and the vault bytes', async () => {
    const { rows } = await sql<{ dump: string }>`select
      (select string_agg(data::text || metadata::text, '') from events) ||
      (select string_agg(p::text, '') from providers_view p) ||
      (select string_agg(encode(ciphertext, 'escape') || encode(wrapped_key, 'escape'), '') from provider_secrets) as dump`.execute(
      t.db,
    );
    expect(secretsSeen.length).toBeGreaterThan(4);
    for (const secret of secretsSeen) {
      expect(rows[0].dump).not.toContain(secret);
      expect(rows[0].dump).not.toContain(secret.slice(3, -4));
    }
  });
});
