import type { KeyView } from '@sluice/contracts';
import { planKeys } from './plan-keys';

const live = (over: Partial<KeyView>): KeyView => ({
  id: 'key_1',
  name: 'billing',
  description: null,
  status: 'active',
  keyHint: 'sk-sluice-AAAA…1111',
  models: null,
  operations: null,
  rateLimits: null,
  budget: null,
  ipAllowlist: null,
  providerIds: null,
  previousKeyExpiresAt: null,
  expiresAt: null,
  metadata: { managedBy: 'sluice-apply' },
  createdAt: '2026-11-01T00:00:00.000Z',
  revokedAt: null,
  lastUsedAt: null,
  usage: { requests: 0, inputTokens: 0, outputTokens: 0, spendUsd: 0 },
  ...over,
});

describe('planning keys from a file', () => {
  it('creates a key the file names and the live state lacks, marked as managed', () => {
    expect(planKeys([{ name: 'billing', models: ['gpt-4o*'] }], [], { prune: false })).toEqual([
      {
        action: 'create',
        name: 'billing',
        body: { name: 'billing', models: ['gpt-4o*'], metadata: { managedBy: 'sluice-apply' } },
      },
    ]);
  });

  it('leaves a key alone when only list order, key order in metadata or the expiry notation differ', () => {
    const have = live({
      models: ['a', 'b'],
      operations: ['chat', 'embeddings'],
      expiresAt: '2027-01-01T00:00:00.000Z',
      metadata: { team: 'x', managedBy: 'sluice-apply' },
    });
    const want = {
      name: 'billing',
      models: ['b', 'a'],
      operations: ['embeddings', 'chat'] as never,
      expiresAt: '2027-01-01T01:00:00+01:00',
      metadata: { team: 'x' },
    };
    expect(planKeys([want], [have], { prune: false })).toEqual([{ action: 'unchanged', name: 'billing', id: 'key_1' }]);
  });

  it('updates only the fields that differ, with before and after, and clears what the file leaves out', () => {
    const have = live({ models: ['gpt-4o*'], ipAllowlist: ['10.0.0.0/8'], description: 'old' });
    const [step] = planKeys([{ name: 'billing', models: ['gpt-4o*', 'gpt-4.1*'], description: 'old' }], [have], {
      prune: false,
    });
    expect(step).toEqual({
      action: 'update',
      name: 'billing',
      id: 'key_1',
      changes: [
        { field: 'models', from: ['gpt-4o*'], to: ['gpt-4o*', 'gpt-4.1*'] },
        { field: 'ipAllowlist', from: ['10.0.0.0/8'], to: null },
      ],
      patch: { models: ['gpt-4o*', 'gpt-4.1*'], ipAllowlist: null },
    });
  });

  it('compares a budget by its settings, not its live spend, and changes rate limits and budgets in place', () => {
    const budget = {
      maxUsd: 50,
      period: '30d',
      alertThresholds: [50, 80, 100],
      webhookUrlHint: null,
      spentUsd: 12.5,
      reservedUsd: 0.2,
      remainingUsd: 37.3,
    };
    const have = live({ rateLimits: { requestsPerMinute: 60 }, budget });
    const same = { name: 'billing', rateLimits: { requestsPerMinute: 60 }, budget: { maxUsd: 50, period: '30d' } };
    expect(planKeys([same], [have], { prune: false })).toEqual([{ action: 'unchanged', name: 'billing', id: 'key_1' }]);
    const [step] = planKeys(
      [{ ...same, rateLimits: { requestsPerMinute: 120 }, budget: { maxUsd: 80, period: '30d' } }],
      [have],
      { prune: false },
    );
    expect(step).toMatchObject({
      action: 'update',
      patch: { rateLimits: { requestsPerMinute: 120 }, budget: { maxUsd: 80, period: '30d' } },
    });
  });

  it('compares a webhook by its hint, shows only hints in the plan, and sends the URL of the file', () => {
    const url = 'https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXabcd';
    const have = live({
      budget: {
        maxUsd: 50,
        period: null,
        alertThresholds: [50, 80, 100],
        webhookUrlHint: 'https://hooks.slack.com/…abcd',
      },
    });
    expect(planKeys([{ name: 'billing', budget: { maxUsd: 50, webhookUrl: url } }], [have], { prune: false })).toEqual([
      { action: 'unchanged', name: 'billing', id: 'key_1' },
    ]);
    const moved = `${url.slice(0, -4)}wxyz`;
    const [step] = planKeys([{ name: 'billing', budget: { maxUsd: 50, webhookUrl: moved } }], [have], { prune: false });
    expect(step).toMatchObject({ action: 'update', patch: { budget: { maxUsd: 50, webhookUrl: moved } } });
    expect(JSON.stringify((step as { changes: unknown }).changes)).not.toContain('XXXXXXXX');
  });

  it('updates a hand-made key of the same name without taking it over: no managedBy, so --prune never revokes it', () => {
    const handMade = live({ id: 'key_manual', metadata: { owner: 'alice' }, models: ['gpt-4o'] });
    const [step] = planKeys([{ name: 'billing', models: ['gpt-4o*'], metadata: { owner: 'alice' } }], [handMade], {
      prune: false,
    });
    expect(step).toEqual({
      action: 'update',
      name: 'billing',
      id: 'key_manual',
      changes: [{ field: 'models', from: ['gpt-4o'], to: ['gpt-4o*'] }],
      patch: { models: ['gpt-4o*'] },
    });
    // The key as the update leaves it, after the file dropped it: still not the tool's to revoke.
    const updated = live({ id: 'key_manual', metadata: { owner: 'alice' }, models: ['gpt-4o*'] });
    expect(
      planKeys([{ name: 'billing', models: ['gpt-4o*'], metadata: { owner: 'alice' } }], [updated], { prune: true }),
    ).toEqual([{ action: 'unchanged', name: 'billing', id: 'key_manual' }]);
    expect(planKeys([], [updated], { prune: true })).toEqual([]);
  });

  it('keeps the managed mark on a key it created when the file changes its metadata', () => {
    const [step] = planKeys(
      [{ name: 'billing', metadata: { team: 'y' } }],
      [live({ metadata: { team: 'x', managedBy: 'sluice-apply' } })],
      { prune: false },
    );
    expect(step).toMatchObject({ action: 'update', patch: { metadata: { team: 'y', managedBy: 'sluice-apply' } } });
  });

  it('revokes managed keys the file no longer lists only with --prune, and never touches unmanaged or revoked ones', () => {
    const current = [
      live({ id: 'key_gone', name: 'gone' }),
      live({ id: 'key_manual', name: 'manual', metadata: {} }),
      live({ id: 'key_dead', name: 'dead', status: 'revoked' }),
    ];
    expect(planKeys([], current, { prune: false })).toEqual([{ action: 'orphan', name: 'gone', id: 'key_gone' }]);
    expect(planKeys([], current, { prune: true })).toEqual([{ action: 'revoke', name: 'gone', id: 'key_gone' }]);
  });

  it('creates a new key when the only one of that name is revoked', () => {
    expect(planKeys([{ name: 'billing' }], [live({ status: 'revoked' })], { prune: true })[0]).toMatchObject({
      action: 'create',
    });
  });
});
