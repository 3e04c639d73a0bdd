import { modelPrice, type UsageMessage } from '@sluice/contracts';
import { usageFixture } from '../../../test/usage-fixture';
import type { CallFacts } from '../usage-message';
import { worstCaseOf } from '../worst-case';
import { beginRecord, encodeRecord, unreportedUsage, type SpoolRecord } from './spool-records';

const PRICE_USD = { inputUsdPerMTok: 2, outputUsdPerMTok: 8, cachedInputUsdPerMTok: null };
const PRICE = modelPrice(PRICE_USD);

const call = (callId: string, over: Partial<CallFacts> = {}): CallFacts => ({
  requestId: `client-${callId}`,
  callId,
  keyId: 'key-1',
  model: 'gpt-test',
  route: {
    providerId: 'prov-1',
    providerType: 'openai-compatible',
    baseUrl: null,
    upstreamModel: 'upstream-gpt',
    price: PRICE,
  },
  op: 'chat',
  stream: true,
  clientIp: '10.0.0.7',
  startedAt: Date.UTC(2026, 10, 24, 12),
  t0: 0,
  worstCase: { inputTokens: 0, outputTokens: 0 },
  tags: { clientRequestId: `client-${callId}`, user: 'alice', metadata: { team: 'search' } },
  ...over,
});

const ended = (callId: string): UsageMessage =>
  usageFixture(callId, { inputTokens: 12, outputTokens: 30, latencyMs: 20, ttfbMs: 5, clientIp: '10.0.0.7' });

/** A spool file as a killed gateway left it. */
const given = (...records: SpoolRecord[]) => ({
  whenRecovered: () => unreportedUsage(records.map(encodeRecord).join('')),
});
const begin = (callId: string, maxOutputTokens: number | null = 100, over: Partial<CallFacts> = {}) => {
  const c = call(callId, over);
  return beginRecord({ ...c, worstCase: worstCaseOf(c, { inputTokens: 12, maxOutputTokens }) });
};
const end = (callId: string): SpoolRecord => ({ t: 'e', usage: ended(callId) });
const acked = (callId: string): SpoolRecord => ({ t: 'a', callId });

describe('recovering a dead gateway’s usage spool', () => {
  it('owes nothing for calls whose usage JetStream acknowledged', () => {
    expect(given(begin('c1'), end('c1'), acked('c1')).whenRecovered()).toEqual([]);
  });

  it('republishes the real usage of a call that ended but was never acknowledged, flagged as recovered', () => {
    expect(given(begin('c1'), end('c1')).whenRecovered()).toEqual([{ ...ended('c1'), recovered: true }]);
  });

  it('bills a call that began and never ended at its worst case: prompt estimate and the whole output cap, flagged', () => {
    const [usage] = given(begin('c1', 300)).whenRecovered();
    expect(usage).toEqual({
      requestId: 'c1',
      keyId: 'key-1',
      model: 'gpt-test',
      upstreamModel: 'upstream-gpt',
      providerId: 'prov-1',
      operation: 'chat',
      stream: true,
      status: 0,
      inputTokens: 12,
      cachedInputTokens: 0,
      outputTokens: 300,
      reasoningTokens: 0,
      estimated: true,
      recovered: true,
      latencyMs: 0,
      ttfbMs: null,
      clientIp: '10.0.0.7',
      startedAt: '2026-11-24T12:00:00.000Z',
      clientRequestId: 'client-c1',
      user: 'alice',
      metadata: { team: 'search' },
      costNanos: 12 * 2000 + 300 * 8000,
    });
  });

  it('assumes policy’s default reservation (4096 output tokens) when the caller set no max_tokens, and none for embeddings', () => {
    const owed = given(begin('chat', null), begin('emb', null, { op: 'embeddings' })).whenRecovered();
    expect(owed.map((u) => [u.requestId, u.outputTokens])).toEqual([
      ['chat', 4096],
      ['emb', 0],
    ]);
  });

  it('charges a key with limits what policy reserved (clamped to the model’s cap), not an absurd max_tokens', () => {
    const reservation = {
      callId: 'c1',
      keyId: 'key-1',
      admittedAt: 0,
      tokens: 0,
      reservedNanos: 424_000,
      price: PRICE,
      worstCase: { inputTokens: 12, outputTokens: 50 },
      call: {
        model: 'gpt-test',
        upstreamModel: 'upstream-gpt',
        providerId: 'prov-1',
        operation: 'chat',
        clientIp: '10.0.0.7',
      },
    };
    const [usage] = given(
      begin('c1', 1_000_000, {
        limits: { headers: {}, reservedNanos: 424_000, budgetRemainingNanos: 1e9, reservation },
      }),
    ).whenRecovered();
    expect(usage).toMatchObject({ outputTokens: 50, costNanos: 12 * 2000 + 50 * 8000 });
  });

  it('clamps an absurd max_tokens to the model’s maximum output from the route for a key without limits', () => {
    const route = { ...call('x').route, maxOutputTokens: 64 };
    const owed = given(
      begin('huge', 1_000_000, { route }),
      begin('none', null, { route }),
      begin('small', 10, { route }),
    ).whenRecovered();
    expect(owed.map((u) => [u.requestId, u.outputTokens])).toEqual([
      ['huge', 64],
      ['none', 64],
      ['small', 10],
    ]);
  });

  it('reports no cost for a route without a price (metering prices it from its own history)', () => {
    const route = { ...call('c1').route, price: undefined };
    const [usage] = given(begin('c1', 100, { route })).whenRecovered();
    expect(usage.costNanos).toBeUndefined();
  });

  it('prices a call begun by an older gateway, whose spool holds USD prices, at the same price', () => {
    const old = { ...begin('c1', 100), price: PRICE_USD };
    const [usage] = given(old).whenRecovered();
    expect(usage.costNanos).toBe(12 * 2000 + 100 * 8000);
  });

  it('skips a torn last line and keeps everything before it', () => {
    const text = `${[begin('c1'), end('c1'), begin('c2')].map(encodeRecord).join('')}{"t":"e","usage":{"reque`;
    expect(unreportedUsage(text).map((u) => [u.requestId, u.estimated])).toEqual([
      ['c1', false],
      ['c2', true],
    ]);
  });
});
