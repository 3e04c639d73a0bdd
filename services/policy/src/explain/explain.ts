import type { EffectivePolicyReply, EffectiveRule } from '@sluice/contracts';
import type { KeyPolicy } from '../keys/key-table';
import type { Limiter } from '../limits/limiter';
import { keyLimitState } from './key-state';

/**
 * Every rule that applies to a key, in the order authorize checks them, each with its setting and,
 * for limits, the state policy holds now. A rule that is not set ("all models") is listed too, so
 * the answer says what the key may do, not only what it may not.
 */
export function explainKey(key: KeyPolicy, limiter: Limiter, now: number): EffectivePolicyReply {
  const state = keyLimitState(key, limiter, now);
  const expired = key.expiresAt !== null && key.expiresAt <= now;
  const status = key.status === 'active' && expired ? 'expired' : key.status;
  const rules: EffectiveRule[] = [
    { rule: 'status', setting: key.status, state: { usable: status === 'active' } },
    { rule: 'ipAllowlist', setting: key.lists.ipAllowlist ?? 'any address' },
    {
      rule: 'expiresAt',
      setting: key.expiresAt === null ? null : new Date(key.expiresAt).toISOString(),
      state: { expired },
    },
    { rule: 'operations', setting: key.lists.operations ?? 'all operations' },
    { rule: 'models', setting: key.lists.models ?? 'all models' },
    { rule: 'providerIds', setting: key.lists.providerIds ?? 'all providers' },
  ];
  if (key.previous && key.previous.until > now) {
    rules.push({
      rule: 'regenerate',
      setting: { previousSecretWorksUntil: new Date(key.previous.until).toISOString() },
    });
  }
  const limits = key.rateLimits ?? {};
  const windows = state.rateLimits;
  rules.push({
    rule: 'maxParallelRequests',
    setting: limits.maxParallelRequests ?? null,
    state: windows.maxParallelRequests,
  });
  for (const rule of ['requestsPerMinute', 'requestsPerHour', 'requestsPerDay', 'tokensPerMinute'] as const) {
    rules.push({ rule, setting: limits[rule] ?? null, state: windows[rule] });
  }
  rules.push({ rule: 'budget', setting: key.budget, state: state.budget ?? undefined });
  return { keyId: key.keyId, status, rules };
}
