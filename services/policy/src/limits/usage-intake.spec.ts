import type { UsageMessage } from '@sluice/contracts';
import { catalog, given, keyCreated, usageOf } from '../../test/given';
import { intakeUsage } from './usage-intake';

const budget = { maxUsd: 1, period: null, alertThresholds: [], webhookUrlHint: null };
const report = (requestId: string, over: Record<string, unknown> = {}): UsageMessage =>
  usageOf(requestId, {
    model: 'gpt-4o',
    upstreamModel: 'gpt-4o-upstream',
    inputTokens: 10,
    outputTokens: 5,
    costNanos: 20,
    ...(over as Partial<UsageMessage>),
  });

describe('which usage messages are counted, checked first', () => {
  const setup = () => {
    const g = given(
      keyCreated({ budget }),
      keyCreated({ keyId: 'key_2', keyHash: 'hash-2', budget }),
      keyCreated({ keyId: 'key_free', keyHash: 'hash-free' }),
      ...catalog,
    );
    expect(g.when({ callId: 'live' })).toMatchObject({ allow: true });
    const state = { limiter: g.limiter, keyById: (id: string) => g.keys.byId(id), owns: () => true };
    return { g, state };
  };

  it('takes the report of a call in flight here, over core NATS or the stream', () => {
    const { state } = setup();
    expect(intakeUsage(report('live'), state, true)).toEqual({ usage: report('live') });
    expect(intakeUsage(report('live'), state, false)).toEqual({ usage: report('live') });
  });

  it('over core NATS takes nothing but the report of a call in flight here: the stream settles the rest', () => {
    const { state } = setup();
    expect(intakeUsage(report('unknown-call'), state, true)).toEqual({ ignored: null });
    expect(intakeUsage(report('unknown-call'), state, false)).toMatchObject({ usage: { requestId: 'unknown-call' } });
  });

  it('refuses a report that does not match the schema, or that names another key than its call was admitted for', () => {
    const { state } = setup();
    expect(intakeUsage(report('live', { startedAt: 'not-a-date' }), state, true)).toEqual({ ignored: 'malformed' });
    expect(intakeUsage(report('live', { costNanos: -5_000_000_000 }), state, true)).toEqual({ ignored: 'malformed' });
    expect(intakeUsage(report('live', { keyId: 'key_2', costNanos: 0 }), state, true)).toEqual({
      ignored: 'another-key',
    });
    expect(intakeUsage(report('unknown-call', { startedAt: 'not-a-date' }), state, false)).toEqual({
      ignored: 'malformed',
    });
  });

  it('does not read a message that concerns nothing here: a key without limits, a key of another partition', () => {
    const { state } = setup();
    expect(intakeUsage(report('other', { keyId: 'key_free', startedAt: 'not-a-date' }), state, false)).toEqual({
      ignored: null,
    });
    expect(intakeUsage(report('live'), { ...state, owns: () => false }, true)).toEqual({ ignored: null });
    expect(intakeUsage('not an object', state, false)).toEqual({ ignored: null });
  });
});
