import type { Key } from '../api/types';
import { emptyKeyForm, fieldOfParam, formOfKey, toKeyBody, toPatchBody } from './key-form-state';

const now = Date.parse('2026-11-24T12:00:00Z');

describe('the key form', () => {
  it('sends only what the admin set: absent lists mean "all"', () => {
    const { body, errors } = toKeyBody({ ...emptyKeyForm(), name: ' billing ' }, now);
    expect(errors).toEqual({});
    expect(body).toEqual({ name: 'billing' });
  });

  it('turns every field into the API body', () => {
    const form = {
      ...emptyKeyForm(),
      name: 'billing',
      description: 'Billing service',
      restrictModels: true,
      models: ['gpt-4o'],
      modelPatterns: 'claude-*, gpt-4o',
      restrictOperations: true,
      operations: ['chat'],
      rateLimits: {
        requestsPerMinute: '600',
        requestsPerHour: '',
        requestsPerDay: '10000',
        tokensPerMinute: '100000',
        maxParallelRequests: '5',
      },
      budgetOn: true,
      maxUsd: '25',
      period: '30d',
      alertThresholds: '50, 80,100',
      webhookUrl: 'https://hooks.example.com/x',
      ipAllowlist: '10.0.0.0/8\n127.0.0.1',
      restrictProviders: true,
      providerIds: ['prov_1'],
      expiresAt: '2027-01-01T00:00',
      metadata: '{"team":"billing"}',
    };
    expect(toKeyBody(form, now)).toEqual({
      errors: {},
      body: {
        name: 'billing',
        description: 'Billing service',
        models: ['gpt-4o', 'claude-*'],
        operations: ['chat'],
        ipAllowlist: ['10.0.0.0/8', '127.0.0.1'],
        providerIds: ['prov_1'],
        expiresAt: '2027-01-01T00:00:00Z',
        rateLimits: { requestsPerMinute: 600, requestsPerDay: 10000, tokensPerMinute: 100000, maxParallelRequests: 5 },
        budget: {
          maxUsd: 25,
          period: '30d',
          alertThresholds: [50, 80, 100],
          webhookUrl: 'https://hooks.example.com/x',
        },
        metadata: { team: 'billing' },
      },
    });
  });

  it('names every problem at its field, with the API names', () => {
    const form = {
      ...emptyKeyForm(),
      rateLimits: { ...emptyKeyForm().rateLimits, requestsPerMinute: '1.5', tokensPerMinute: '0' },
      budgetOn: true,
      maxUsd: 'lots',
      period: '2w',
      ipAllowlist: '10.0.0.300',
      expiresAt: '2020-01-01T00:00',
      metadata: '{team: billing}',
    };
    expect(Object.keys(toKeyBody(form, now).errors).sort()).toEqual(
      [
        'budget.maxUsd',
        'budget.period',
        'expiresAt',
        'ipAllowlist',
        'metadata',
        'name',
        'rateLimits.requestsPerMinute',
        'rateLimits.tokensPerMinute',
      ].sort(),
    );
  });

  it('edits with a PATCH of the changed fields only; cleared fields become null', () => {
    const key = {
      id: 'key_1',
      name: 'billing',
      description: 'old',
      models: ['gpt-*'],
      operations: null,
      rateLimits: { requestsPerMinute: 60 },
      budget: { maxUsd: 5, period: '1d', alertThresholds: [50, 100], webhookUrl: null },
      ipAllowlist: null,
      providerIds: null,
      expiresAt: '2020-01-01T00:00:00.000Z',
      metadata: { team: 'a' },
    } as unknown as Key;
    const original = formOfKey(key);
    expect(toPatchBody(original, original, now)).toEqual({ body: {}, errors: {} });
    const changed = {
      ...original,
      description: '',
      restrictModels: false,
      rateLimits: { ...original.rateLimits, requestsPerMinute: '120' },
    };
    expect(toPatchBody(original, changed, now)).toEqual({
      body: { description: null, models: null, rateLimits: { requestsPerMinute: 120 } },
      errors: {},
    });
    expect(toPatchBody(original, { ...original, budgetOn: false }, now).body).toEqual({ budget: null });
  });

  it("puts the API's error on the field it names", () => {
    const fields = ['name', 'ipAllowlist', 'budget.maxUsd', 'budget'];
    expect(fieldOfParam('ipAllowlist.2', fields)).toBe('ipAllowlist');
    expect(fieldOfParam('budget.maxUsd', fields)).toBe('budget.maxUsd');
    expect(fieldOfParam('budget.webhookUrl', fields)).toBe('budget');
    expect(fieldOfParam(undefined, fields)).toBe('form');
  });
});
