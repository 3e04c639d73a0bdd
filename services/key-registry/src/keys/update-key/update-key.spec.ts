import { ErrorCodes, given, iso, keyCreated, keyDisabled, keyRevoked, keyUpdated, NOW } from '../../../test/given';
import { normalizeBudget, type UpdateKeyBody } from '@sluice/contracts';
import { decideUpdateKey } from './update-key';

const update = (body: UpdateKeyBody) => (state: Parameters<typeof decideUpdateKey>[1]) =>
  decideUpdateKey({ type: 'UpdateKey', keyId: 'key_1', body, now: NOW }, state);
const updated = (before: object, after: object) => [
  { type: 'KeyUpdated' as const, data: { keyId: 'key_1', before, after, updatedAt: NOW.toISOString() } },
];

describe('update a key (PATCH)', () => {
  it('records only the settings that change, before and after', () => {
    given(keyCreated({ models: ['gpt-*'], description: 'billing' }))
      .when(update({ models: ['gpt-4o', 'claude-*'], description: 'billing', operations: ['chat'] }))
      .then(updated({ models: ['gpt-*'], operations: null }, { models: ['gpt-4o', 'claude-*'], operations: ['chat'] }));
  });

  it('changes nothing, and records nothing, when every value is already in place', () => {
    given(keyCreated({ name: 'app', models: ['gpt-*'], metadata: { team: 'a', env: 'prod' } }))
      .when(update({ name: 'app', models: ['gpt-*'], metadata: { env: 'prod', team: 'a' } }))
      .then([]);
  });

  it('clears a list back to "all" and removes the expiry with null', () => {
    const expiresAt = iso(NOW.getTime() + 86_400_000);
    given(keyCreated({ ipAllowlist: ['10.0.0.0/8'], expiresAt }))
      .when(update({ ipAllowlist: null, expiresAt: null }))
      .then(updated({ ipAllowlist: ['10.0.0.0/8'], expiresAt }, { ipAllowlist: null, expiresAt: null }));
  });

  it('replaces metadata as a whole and writes the expiry in UTC', () => {
    given(keyCreated({ metadata: { team: 'a' } }))
      .when(update({ metadata: { owner: 'bob' }, expiresAt: '2027-01-01T02:00:00+02:00' }))
      .then(
        updated(
          { metadata: { team: 'a' }, expiresAt: null },
          { metadata: { owner: 'bob' }, expiresAt: '2027-01-01T00:00:00.000Z' },
        ),
      );
  });

  it('compares with the settings as changed by earlier updates', () => {
    given(keyCreated(), keyUpdated({ models: null }, { models: ['gpt-4o'] }))
      .when(update({ models: ['gpt-4o'] }))
      .then([]);
  });

  it('refuses an expiry that is not in the future', () => {
    given(keyCreated())
      .when(update({ expiresAt: NOW.toISOString() }))
      .thenThrows(ErrorCodes.validation);
  });

  it('changes a disabled key, which stays disabled', () => {
    given(keyCreated(), keyDisabled)
      .when(update({ name: 'renamed' }))
      .then(updated({ name: 'app' }, { name: 'renamed' }));
  });

  it('sets rate limits and a budget, the budget with its defaults written out', () => {
    given(keyCreated())
      .when(
        update({
          rateLimits: { requestsPerMinute: 600, maxParallelRequests: 5 },
          budget: { maxUsd: 25, period: '30d', alertThresholds: [90, 50, 90] },
        }),
      )
      .then(
        updated(
          { rateLimits: null, budget: null },
          {
            rateLimits: { requestsPerMinute: 600, maxParallelRequests: 5 },
            budget: { maxUsd: 25, period: '30d', alertThresholds: [50, 90], webhookUrlHint: null },
          },
        ),
      );
  });

  it('replaces the rate limits and the budget whole, and removes them with null', () => {
    const budget = normalizeBudget({ maxUsd: 10, period: '1d', webhookUrl: 'https://hooks.example.com/sluice' });
    given(keyCreated({ rateLimits: { requestsPerMinute: 60, tokensPerMinute: 10_000 }, budget }))
      .when(update({ rateLimits: { requestsPerHour: 1000 }, budget: { maxUsd: 20 } }))
      .then(
        updated(
          { rateLimits: { requestsPerMinute: 60, tokensPerMinute: 10_000 }, budget },
          { rateLimits: { requestsPerHour: 1000 }, budget: normalizeBudget({ maxUsd: 20 }) },
        ),
      );
    given(keyCreated({ rateLimits: { requestsPerMinute: 60 }, budget }))
      .when(update({ rateLimits: null, budget: null }))
      .then(updated({ rateLimits: { requestsPerMinute: 60 }, budget }, { rateLimits: null, budget: null }));
  });

  it('records nothing when the budget sent is the one in place, defaults included', () => {
    given(keyCreated({ budget: normalizeBudget({ maxUsd: 10, period: '1d' }) }))
      .when(update({ budget: { maxUsd: 10, period: '1d', alertThresholds: [100, 80, 50] } }))
      .then([]);
  });

  it('refuses a revoked key and a key that does not exist', () => {
    given(keyCreated(), keyRevoked)
      .when(update({ name: 'x' }))
      .thenThrows(ErrorCodes.keyNotActive);
    given()
      .when(update({ name: 'x' }))
      .thenThrows(ErrorCodes.keyNotFound);
  });
});
