import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { appendToStream, readStream } from '@sluice/event-store';
import { UpstreamAllowList } from '@sluice/net-policy';
import { rebuildReadModels } from '../read-models/rebuild';
import type { Deps } from '../shared/deps';
import { createKey } from './create-key/create-key.handler';
import { sealLegacyWebhookUrls } from './legacy-webhook-urls';
import { updateKey } from './update-key/update-key.handler';
import { readWebhookUrl } from './webhook-vault';
import { testDeps } from '../../test/deps';

const actor = { actor: 'admin:test' };
const TOKEN = 'XXXXXXXXXXXXXXXXXXXX';
const url = (suffix: string) => `https://hooks.slack.com/services/T0000/B0000/${TOKEN}${suffix}`;

describe('budget webhook URLs are sealed in the vault (real Postgres)', () => {
  let t: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    t = await createTestDatabase();
    // Every host is public here: this machine resolves no names.
    deps = testDeps(t.db, () => new Date(), {
      upstream: { allow: UpstreamAllowList.none, resolve: async () => [{ address: '93.184.215.14' }] },
    });
  });
  afterAll(() => t.drop());

  /** Everything but the vault, as text: the events and every read model. */
  const everythingButTheVault = async () => {
    const { rows } = await sql<{ dump: string }>`
      select coalesce((select string_agg(data::text, '') from events), '') || coalesce((select string_agg(k::text, '') from keys_view k), '') as dump`.execute(
      t.db,
    );
    return rows[0].dump;
  };

  it('keeps the URL in the vault and only its hint in the events and the read model, through every change', async () => {
    const { keyId } = await createKey(deps, {
      body: { name: 'sealed', budget: { maxUsd: 10, webhookUrl: url('abcd') } },
      actor,
    });
    expect(await readWebhookUrl(t.db, deps.keks, keyId)).toBe(url('abcd'));
    const [created] = await readStream(t.db, `key-${keyId}`);
    expect(created).toMatchObject({
      schemaVersion: 2,
      data: { budget: { webhookUrlHint: 'https://hooks.slack.com/…abcd' } },
    });

    // Another URL under the same hint is still a change.
    const sameHint = `https://hooks.slack.com/services/T1111/B1111/${TOKEN}abcd`;
    expect(await updateKey(deps, { keyId, body: { budget: { maxUsd: 10, webhookUrl: sameHint } }, actor })).toEqual({
      keyId,
      changed: true,
    });
    expect(await readWebhookUrl(t.db, deps.keks, keyId)).toBe(sameHint);
    expect(await updateKey(deps, { keyId, body: { budget: { maxUsd: 10, webhookUrl: sameHint } }, actor })).toEqual({
      keyId,
      changed: false,
    });

    await updateKey(deps, { keyId, body: { budget: { maxUsd: 20 } }, actor });
    expect(await readWebhookUrl(t.db, deps.keks, keyId)).toBeNull();
    await updateKey(deps, { keyId, body: { budget: { maxUsd: 20, webhookUrl: url('wxyz') } }, actor });
    await updateKey(deps, { keyId, body: { budget: null }, actor });
    expect(await readWebhookUrl(t.db, deps.keks, keyId)).toBeNull();
    expect(await everythingButTheVault()).not.toContain(TOKEN);
  });

  it('seals the plain URL an older version kept, and a rebuild of the read models shows only its hint', async () => {
    // As a version before the vault wrote it: a schema 1 event and its projection, URL in plain text.
    const keyId = `key_${randomUUID().slice(0, 8)}`;
    const createdAt = new Date().toISOString();
    const budget = { maxUsd: 5, period: null, alertThresholds: [50, 80, 100], webhookUrl: url('lgcy') };
    const data = {
      keyId,
      keyHash: `hash-${keyId}`,
      keyHint: 'sk-sluice-…',
      createdAt,
      name: 'legacy',
      description: null,
      models: null,
      operations: null,
      ipAllowlist: null,
      providerIds: null,
      expiresAt: null,
      metadata: {},
      rateLimits: null,
      budget,
    };
    await appendToStream(t.db, {
      streamId: `key-${keyId}`,
      streamType: 'key',
      expectedVersion: 'no_stream',
      events: [
        {
          eventId: randomUUID(),
          type: 'KeyCreated',
          schemaVersion: 1,
          data,
          metadata: { actor: 'old', occurredAt: createdAt },
        },
      ],
    });
    await t.db
      .insertInto('keys_view')
      .values({
        id: keyId,
        name: 'legacy',
        description: null,
        status: 'active',
        key_hash: data.keyHash,
        key_hint: data.keyHint,
        models: null,
        operations: null,
        expires_at: null,
        metadata: '{}',
        created_at: createdAt,
        revoked_at: null,
        version: 1,
        ip_allowlist: null,
        provider_ids: null,
        previous_key_hash: null,
        previous_key_expires_at: null,
        updated_at: null,
        rate_limits: null,
        budget: JSON.stringify(budget),
        budget_period_start: createdAt,
        budget_thresholds_reached: '[]',
      })
      .execute();

    expect(await sealLegacyWebhookUrls(deps)).toBe(1);
    expect(await readWebhookUrl(t.db, deps.keks, keyId)).toBe(url('lgcy'));
    const view = await t.db.selectFrom('keys_view').select('budget').where('id', '=', keyId).executeTakeFirstOrThrow();
    expect(view.budget).toEqual({
      maxUsd: 5,
      period: null,
      alertThresholds: [50, 80, 100],
      webhookUrlHint: 'https://hooks.slack.com/…lgcy',
    });
    expect(await sealLegacyWebhookUrls(deps)).toBe(0);

    // The log keeps the old row (it is append-only); a rebuild reads it through the upcaster.
    await rebuildReadModels(t.db);
    const rebuilt = await t.db
      .selectFrom('keys_view')
      .select('budget')
      .where('id', '=', keyId)
      .executeTakeFirstOrThrow();
    expect(rebuilt.budget).toEqual(view.budget);
    const { rows } = await sql<{ dump: string }>`select string_agg(k::text, '') as dump from keys_view k`.execute(t.db);
    expect(rows[0].dump).not.toContain(TOKEN);
    expect(await readWebhookUrl(t.db, deps.keks, keyId)).toBe(url('lgcy'));
    // A change of the key reads its history through the upcaster too: same URL, nothing to record.
    expect(await updateKey(deps, { keyId, body: { budget: { maxUsd: 5, webhookUrl: url('lgcy') } }, actor })).toEqual({
      keyId,
      changed: false,
    });
  });
});
