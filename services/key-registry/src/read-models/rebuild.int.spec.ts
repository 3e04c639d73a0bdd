import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { createAdminToken } from '../admin-tokens/create-admin-token/create-admin-token.handler';
import { revokeAdminToken } from '../admin-tokens/revoke-admin-token/revoke-admin-token.handler';
import { createKey } from '../keys/create-key/create-key.handler';
import { disableKey } from '../keys/disable-key/disable-key.handler';
import { enableKey } from '../keys/enable-key/enable-key.handler';
import { recordBudgetThreshold } from '../keys/record-budget-threshold/record-budget-threshold.handler';
import { regenerateKey } from '../keys/regenerate-key/regenerate-key.handler';
import { resetBudgetPeriod } from '../keys/reset-budget-period/reset-budget-period.handler';
import { revokeKey } from '../keys/revoke-key/revoke-key.handler';
import { updateKey } from '../keys/update-key/update-key.handler';
import { addModel } from '../models/add-model/add-model.handler';
import { removeModel } from '../models/remove-model/remove-model.handler';
import { addProvider } from '../providers/add-provider/add-provider.handler';
import { removeProvider } from '../providers/remove-provider/remove-provider.handler';
import { rotateProviderSecret } from '../providers/rotate-provider/rotate-provider.handler';
import { updateProvider } from '../providers/update-provider/update-provider.handler';
import type { Deps } from '../shared/deps';
import { READ_MODELS, rebuildReadModels } from './rebuild';
import { testDeps } from '../../test/deps';

const actor = { actor: 'admin-token:adm_test', requestId: 'req-rebuild' };

describe('read models rebuilt from the log (real Postgres)', () => {
  let t: TestDatabase;
  let deps: Deps;
  let clock = new Date('2026-11-24T12:00:00.000Z');

  beforeAll(async () => {
    t = await createTestDatabase();
    deps = testDeps(t.db, () => clock);
  });
  afterAll(() => t.drop());

  const tick = () => (clock = new Date(clock.getTime() + 1000));
  /** Every row of every read model, as Postgres renders it, in a stable order. */
  const snapshot = async () => {
    const out: Record<string, string[]> = {};
    for (const table of READ_MODELS) {
      const { rows } = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t order by 1`.execute(
        t.db,
      );
      out[table] = rows.map((r) => r.row);
    }
    return out;
  };

  async function realisticHistory() {
    const openai = await addProvider(deps, {
      body: { name: 'openai', type: 'openai', apiKey: 'sk-first-0123456789' },
      actor,
    });
    tick();
    const mock = await addProvider(deps, { body: { name: 'mock', type: 'mock' }, actor });
    await addModel(deps, {
      body: {
        name: 'gpt-4o',
        providerId: openai.providerId,
        upstreamModel: 'gpt-4o-2024',
        inputUsdPerMTok: 2.5,
        outputUsdPerMTok: 10,
        cachedInputUsdPerMTok: 1.25,
      },
      actor,
    });
    await addModel(deps, {
      body: {
        name: 'mock-gpt',
        providerId: mock.providerId,
        upstreamModel: 'mock',
        inputUsdPerMTok: 0,
        outputUsdPerMTok: 0,
      },
      actor,
    });
    tick();
    await rotateProviderSecret(deps, {
      providerId: openai.providerId,
      body: { apiKey: 'sk-second-0123456789' },
      actor,
    });
    await updateProvider(deps, { providerId: openai.providerId, body: { name: 'openai-prod' }, actor });
    await removeModel(deps, { name: 'mock-gpt', actor });
    await removeProvider(deps, { providerId: mock.providerId, actor });

    const aCreatedAt = clock.toISOString();
    const a = await createKey(deps, {
      body: {
        name: 'checkout',
        models: ['gpt-*'],
        metadata: { team: 'payments' },
        rateLimits: { requestsPerMinute: 600 },
        budget: { maxUsd: 5, period: '1h' },
      },
      actor,
    });
    const b = await createKey(deps, { body: { name: 'search', operations: ['chat', 'embeddings'] }, actor });
    tick();
    await updateKey(deps, {
      keyId: a.keyId,
      body: {
        description: 'checkout service',
        ipAllowlist: ['10.0.0.0/8'],
        expiresAt: '2027-01-01T00:00:00Z',
        budget: { maxUsd: 8, period: '1h', alertThresholds: [50, 90] },
      },
      actor,
    });
    await recordBudgetThreshold(deps, {
      keyId: a.keyId,
      thresholdPercent: 50,
      periodStart: aCreatedAt,
      spentUsd: 4.2,
      maxUsd: 8,
    });
    clock = new Date(clock.getTime() + 3_600_000);
    await resetBudgetPeriod(deps, a.keyId);
    const secondPeriod = new Date(Date.parse(aCreatedAt) + 3_600_000).toISOString();
    await recordBudgetThreshold(deps, {
      keyId: a.keyId,
      thresholdPercent: 90,
      periodStart: secondPeriod,
      spentUsd: 7.3,
      maxUsd: 8,
    });
    await regenerateKey(deps, { keyId: a.keyId, body: { gracePeriodSeconds: 60 }, actor });
    await disableKey(deps, { keyId: b.keyId, actor });
    tick();
    await enableKey(deps, { keyId: b.keyId, actor });
    await revokeKey(deps, { keyId: b.keyId, actor });
    // The revoked key's name is free again: the rebuild must replay the revoke before this create.
    await createKey(deps, { body: { name: 'search', providerIds: [openai.providerId] }, actor });

    const ci = await createAdminToken(deps, { body: { name: 'ci', role: 'operator' }, actor });
    await createAdminToken(deps, { body: { name: 'auditor', role: 'auditor' }, actor });
    tick();
    await revokeAdminToken(deps, { tokenId: ci.tokenId, actor });
    await createAdminToken(deps, { body: { name: 'ci', role: 'owner' }, actor });
  }

  it('drops every read model and replays the log to the same rows, repairing a damaged view', async () => {
    await realisticHistory();
    const before = await snapshot();
    expect(before.keys_view).toHaveLength(3);
    expect(before.providers_view).toHaveLength(2);
    expect(before.models_view).toHaveLength(1);
    expect(before.admin_tokens_view).toHaveLength(3);
    const checkout = await t.db
      .selectFrom('keys_view')
      .select(['budget', 'budget_period_start', 'budget_thresholds_reached'])
      .where('name', '=', 'checkout')
      .executeTakeFirstOrThrow();
    expect(checkout).toMatchObject({
      budget: { maxUsd: 8, alertThresholds: [50, 90] },
      budget_thresholds_reached: [90],
    });

    // Someone edits the read models by hand; the log still holds the truth.
    await t.db.deleteFrom('models_view').execute();
    await t.db
      .updateTable('keys_view')
      .set({ status: 'revoked', budget_period_start: clock, budget_thresholds_reached: '[]' })
      .execute();
    await t.db.updateTable('admin_tokens_view').set({ revoked_at: clock }).where('revoked_at', 'is', null).execute();
    expect(await snapshot()).not.toEqual(before);

    const { events } = await rebuildReadModels(t.db);
    expect(events).toBe(23);
    expect(await snapshot()).toEqual(before);
  });

  it('gives the same rows when rebuilt again in small pages, and inline projection continues on top', async () => {
    const before = await snapshot();
    expect(await rebuildReadModels(t.db, { batchSize: 3 })).toEqual({ events: 23 });
    expect(await snapshot()).toEqual(before);

    const { keyId } = await createKey(deps, { body: { name: 'after-rebuild' }, actor });
    const inline = await snapshot();
    expect(inline.keys_view.some((row) => row.includes(keyId))).toBe(true);
    await rebuildReadModels(t.db);
    expect(await snapshot()).toEqual(inline);
  });
});
