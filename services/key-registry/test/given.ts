import { ErrorCodes } from '@sluice/contracts';
import { deciderHarness } from '@sluice/testing';
import { foldKey, type KeyEvent } from '../src/keys/key';

export const NOW = new Date('2026-11-24T12:00:00Z');
export const iso = (ms: number) => new Date(ms).toISOString();

type Data<T extends KeyEvent['type']> = Extract<KeyEvent, { type: T }>['data'];

/** given(events).when(decide).then(events) or .thenThrows(code), for the key aggregate. */
export const given = deciderHarness(foldKey);

export const keyCreated = (over: Partial<Data<'KeyCreated'>> = {}): KeyEvent => ({
  type: 'KeyCreated',
  data: {
    keyId: 'key_1',
    keyHash: 'hash-1',
    keyHint: 'sk-sluice-AAAA…1111',
    name: 'app',
    description: null,
    models: null,
    operations: null,
    ipAllowlist: null,
    providerIds: null,
    expiresAt: null,
    metadata: {},
    rateLimits: null,
    budget: null,
    createdAt: iso(NOW.getTime() - 86_400_000),
    ...over,
  },
});
export const keyUpdated = (before: Data<'KeyUpdated'>['before'], after: Data<'KeyUpdated'>['after']): KeyEvent => ({
  type: 'KeyUpdated',
  data: { keyId: 'key_1', before, after, updatedAt: iso(NOW.getTime() - 3_600_000) },
});
export const keyRegenerated = (over: Partial<Data<'KeyRegenerated'>> = {}): KeyEvent => ({
  type: 'KeyRegenerated',
  data: {
    keyId: 'key_1',
    keyHash: 'hash-2',
    keyHint: 'sk-sluice-BBBB…2222',
    previousKeyHash: 'hash-1',
    previousKeyExpiresAt: null,
    regeneratedAt: iso(NOW.getTime() - 60_000),
    ...over,
  },
});
export const keyDisabled: KeyEvent = {
  type: 'KeyDisabled',
  data: { keyId: 'key_1', disabledAt: iso(NOW.getTime() - 1000) },
};
export const keyEnabled: KeyEvent = {
  type: 'KeyEnabled',
  data: { keyId: 'key_1', enabledAt: iso(NOW.getTime() - 500) },
};
export const keyRevoked: KeyEvent = {
  type: 'KeyRevoked',
  data: { keyId: 'key_1', revokedAt: iso(NOW.getTime() - 100) },
};

export { ErrorCodes };
export const keyBudgetReset = (over: Partial<Data<'KeyBudgetReset'>> = {}): KeyEvent => ({
  type: 'KeyBudgetReset',
  data: {
    keyId: 'key_1',
    previousPeriodStart: iso(NOW.getTime() - 86_400_000),
    periodStart: iso(NOW.getTime() - 3_600_000),
    resetsAt: null,
    resetAt: iso(NOW.getTime() - 3_600_000),
    ...over,
  },
});
export const keyBudgetThresholdReached = (over: Partial<Data<'KeyBudgetThresholdReached'>> = {}): KeyEvent => ({
  type: 'KeyBudgetThresholdReached',
  data: {
    keyId: 'key_1',
    thresholdPercent: 50,
    periodStart: iso(NOW.getTime() - 86_400_000),
    spentUsd: 5,
    maxUsd: 10,
    reachedAt: iso(NOW.getTime() - 1000),
    ...over,
  },
});
