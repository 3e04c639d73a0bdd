import { budgetPeriodAt, type AuthorizeReply, type RateLimits } from '@sluice/contracts';
import { priced, catalog, given, keyCreated, keyUpdated, NOW, iso, usageOf } from '../../test/given';
import { sweptUsage } from './sweeper';

const withLimits = (rateLimits: RateLimits) => given(keyCreated({ rateLimits }), ...catalog, priced);
const withBudget = (maxUsd: number, period: string | null = null, createdAt = '2026-11-01T00:00:00Z') =>
  given(
    keyCreated({ createdAt, budget: { maxUsd, period, alertThresholds: [50, 80, 100], webhookUrlHint: null } }),
    ...catalog,
    priced,
  );

const usage = usageOf;
const headersOf = (reply: AuthorizeReply) => (reply.allow ? reply.limits?.headers : reply.headers) ?? {};
const codeOf = (reply: AuthorizeReply) => (reply.allow ? 'allowed' : reply.error.code);

describe('request windows', () => {
  it('admits requestsPerMinute calls in a minute, then refuses with 429, retry-after and the rule', () => {
    const g = withLimits({ requestsPerMinute: 3 });
    const replies = [0, 1, 2, 3].map((i) => g.when({ callId: `c${i}`, at: NOW + i * 1000 }));
    expect(replies.map(codeOf)).toEqual(['allowed', 'allowed', 'allowed', 'rate_limit_exceeded']);
    expect(headersOf(replies[0])).toMatchObject({
      'x-ratelimit-limit-requests': '3',
      'x-ratelimit-remaining-requests': '2',
    });
    const refused = replies[3];
    if (refused.allow) throw new Error('expected a refusal');
    expect(refused.error).toMatchObject({ status: 429, type: 'requests', rule: 'requestsPerMinute' });
    expect(refused.error.message).toContain('Limit 3, Used 3, Requested 1');
    // The first call leaves the window 60 s after it was admitted: 57 s from the refusal.
    expect(refused.headers).toMatchObject({
      'retry-after': '57',
      'retry-after-ms': '57000',
      'x-ratelimit-remaining-requests': '0',
    });
  });

  it('slides: a call is admitted again once the oldest one left the window', () => {
    const g = withLimits({ requestsPerMinute: 2 });
    g.when({ callId: 'a', at: NOW });
    g.when({ callId: 'b', at: NOW + 30_000 });
    expect(codeOf(g.when({ callId: 'c', at: NOW + 59_000 }))).toBe('rate_limit_exceeded');
    expect(codeOf(g.when({ callId: 'd', at: NOW + 60_000 }))).toBe('allowed');
    expect(codeOf(g.when({ callId: 'e', at: NOW + 61_000 }))).toBe('rate_limit_exceeded');
  });

  it('reports the tightest of the request windows in the headers', () => {
    const g = withLimits({ requestsPerMinute: 100, requestsPerDay: 5 });
    expect(headersOf(g.when({ callId: 'a' }))).toMatchObject({
      'x-ratelimit-limit-requests': '5',
      'x-ratelimit-remaining-requests': '4',
    });
  });

  it('does not count refused calls', () => {
    const g = withLimits({ requestsPerMinute: 1 });
    g.when({ callId: 'a' });
    for (let i = 0; i < 5; i++) g.when({ callId: `x${i}`, at: NOW + 1000 });
    expect(codeOf(g.when({ callId: 'b', at: NOW + 60_000 }))).toBe('allowed');
  });

  it('counts calls admitted by an earlier policy process when their usage arrives', () => {
    const g = withLimits({ requestsPerMinute: 2 });
    g.limiter.settle(usage('old-1', { startedAt: iso(NOW - 5000) }), NOW);
    g.limiter.settle(usage('old-2', { startedAt: iso(NOW - 4000) }), NOW);
    g.limiter.settle(usage('old-2', { startedAt: iso(NOW - 4000) }), NOW); // a redelivery counts once
    expect(codeOf(g.when({ callId: 'new' }))).toBe('rate_limit_exceeded');
  });
});

describe('parallel requests', () => {
  it('admits maxParallelRequests calls in flight and one more only when one reported usage', () => {
    const g = withLimits({ maxParallelRequests: 2 });
    expect([g.when({ callId: 'a' }), g.when({ callId: 'b' }), g.when({ callId: 'c' })].map(codeOf)).toEqual([
      'allowed',
      'allowed',
      'rate_limit_exceeded',
    ]);
    g.limiter.settle(usage('a'), NOW + 5);
    expect(codeOf(g.when({ callId: 'd', at: NOW + 6 }))).toBe('allowed');
  });
});

describe('tokens per minute', () => {
  it('counts prompt and max_tokens at admission and the real usage at settlement', () => {
    const g = withLimits({ tokensPerMinute: 1000 });
    expect(codeOf(g.when({ callId: 'a', model: 'gpt-4o', estimate: { inputTokens: 100, maxOutputTokens: 800 } }))).toBe(
      'allowed',
    );
    const second = g.when({ callId: 'b', model: 'gpt-4o', estimate: { inputTokens: 100, maxOutputTokens: 200 } });
    expect(codeOf(second)).toBe('rate_limit_exceeded');
    expect(!second.allow && second.error).toMatchObject({ type: 'tokens', rule: 'tokensPerMinute' });
    g.limiter.settle(usage('a', { model: 'gpt-4o', inputTokens: 100, outputTokens: 50 }), NOW + 100);
    expect(
      codeOf(
        g.when({ callId: 'c', model: 'gpt-4o', at: NOW + 200, estimate: { inputTokens: 100, maxOutputTokens: 200 } }),
      ),
    ).toBe('allowed');
  });

  it('refuses a request larger than the whole limit as too large', () => {
    const g = withLimits({ tokensPerMinute: 100 });
    const reply = g.when({ callId: 'a', estimate: { inputTokens: 150, maxOutputTokens: null } });
    expect(!reply.allow && reply.error.message).toContain('Request too large');
  });

  it('counts only the token kinds configured', () => {
    const g = withLimits({ tokensPerMinute: 100, tokenKinds: ['output'] });
    expect(codeOf(g.when({ callId: 'a', estimate: { inputTokens: 5000, maxOutputTokens: 10 } }))).toBe('allowed');
  });

  it('counts a streamed call exactly like a non-streamed one', () => {
    const g = withLimits({ tokensPerMinute: 100 });
    g.when({ callId: 's' });
    g.limiter.settle(usage('s', { stream: true, inputTokens: 40, outputTokens: 60 }), NOW + 10);
    expect(codeOf(g.when({ callId: 't', at: NOW + 20, estimate: { inputTokens: 1, maxOutputTokens: null } }))).toBe(
      'rate_limit_exceeded',
    );
  });
});

describe('budgets', () => {
  it('reserves the worst case so concurrent calls cannot overspend, then admits again as calls settle', () => {
    const g = withBudget(1.0);
    const burst = Array.from({ length: 30 }, (_, i) => g.when({ callId: `c${i}`, model: 'priced' }));
    expect(burst.filter((r) => r.allow)).toHaveLength(20); // 20 × $0.05 = $1.00
    const refused = burst[20];
    expect(!refused.allow && refused.error).toMatchObject({
      status: 429,
      code: 'insufficient_quota',
      type: 'insufficient_quota',
      rule: 'budget',
    });
    for (let i = 0; i < 20; i++) g.limiter.settle(usage(`c${i}`), NOW + 10); // $0.03 each
    expect(g.limiter.counters('key_1').budget).toMatchObject({ reserved: 0 });
    expect(g.limiter.counters('key_1').budget?.spent).toBe(600_000_000); // $0.60 in nano-dollars
    let admitted = 0;
    for (let i = 0; i < 20; i++) {
      const reply = g.when({ callId: `d${i}`, model: 'priced', at: NOW + 20 });
      if (!reply.allow) break;
      admitted++;
      g.limiter.settle(usage(`d${i}`), NOW + 21);
    }
    const spent = g.limiter.counters('key_1').budget!.spent;
    expect(admitted).toBe(12); // $0.60 + 12 × $0.03 = $0.96; a 13th could cost $1.01
    expect(spent).toBe(960_000_000);
  });

  it('refuses a max_tokens above the model cap (nothing reserved), and reserves at max_tokens when it is smaller', () => {
    const g = withBudget(1.0);
    const absurd = g.when({ callId: 'a', model: 'priced', estimate: { inputTokens: 10, maxOutputTokens: 10_000_000 } });
    expect(absurd).toMatchObject({ allow: false, error: { status: 400, param: 'max_tokens' } });
    const small = g.when({ callId: 'b', model: 'priced', estimate: { inputTokens: 10, maxOutputTokens: 10 } });
    expect(small.allow && small.limits?.reservedNanos).toBe(10_000_000);
    expect(g.limiter.counters('key_1').budget!.reserved).toBe(10_000_000);
    expect(headersOf(small)['x-sluice-budget-remaining-usd']).toBe('0.99');
  });

  it('reports each threshold once per period, and starts from zero in the next period', () => {
    const g = withBudget(0.1, '1d', iso(NOW - 3_600_000));
    for (const id of ['a', 'b', 'c']) {
      g.when({ callId: id, model: 'priced' });
      g.limiter.settle(usage(id), NOW + 1);
    }
    expect(g.thresholds.map((t) => t.percent)).toEqual([50, 80]); // $0.06, then $0.09
    const nextDay = NOW + 86_400_000;
    expect(g.limiter.counters('key_1').ledger(g.keys.byId('key_1')!, nextDay)).toMatchObject({ spent: 0 });
    expect(codeOf(g.when({ callId: 'd', model: 'priced', at: nextDay }))).toBe('allowed');
  });

  it('charges a late settlement to the period the call started in', () => {
    const g = withBudget(1, '1h', iso(NOW - 30 * 60_000));
    g.when({ callId: 'a', model: 'priced', at: NOW });
    g.limiter.settle(usage('a', { startedAt: iso(NOW) }), NOW + 40 * 60_000);
    expect(g.limiter.counters('key_1').budget).toMatchObject({ spent: 0, reserved: 0 });
  });

  it('keeps spend when the budget is changed', () => {
    const g = withBudget(0.1);
    g.when({ callId: 'a', model: 'priced' });
    g.limiter.settle(usage('a'), NOW);
    g.keys.apply(keyUpdated({ budget: { maxUsd: 0.05, period: null, alertThresholds: [], webhookUrlHint: null } }));
    expect(
      codeOf(g.when({ callId: 'b', model: 'priced', at: NOW + 1, estimate: { inputTokens: 0, maxOutputTokens: 30 } })),
    ).toBe('insufficient_quota');
  });
});

describe('how near a limit an admitted call leaves its key', () => {
  // Near a limit the gateway has NATS confirm the call's settlement before the client has its answer.
  const confirms = (reply: AuthorizeReply) => reply.allow && reply.limits?.confirmSettlement === true;

  it('asks for the settlement to be confirmed once fewer than four calls like it fit the budget with it held', () => {
    const g = withBudget(1.0); // 20 worst cases of $0.05
    const replies = Array.from({ length: 20 }, (_, i) => g.when({ callId: `c${i}`, model: 'priced' }));
    // Held: after the 16th, $0.20 is left (4 worst cases); after the 17th, 3.
    expect(replies.map(confirms).indexOf(true)).toBe(16);
    expect(replies.slice(16).every(confirms)).toBe(true);
  });

  it('asks for it near the tokens per minute and the parallel calls, never for request windows alone', () => {
    const tokens = withLimits({ tokensPerMinute: 1000 });
    const estimate = { inputTokens: 50, maxOutputTokens: 50 }; // 100 tokens held per call
    const byTokens = Array.from({ length: 10 }, (_, i) => tokens.when({ callId: `t${i}`, model: 'gpt-4o', estimate }));
    expect(byTokens.map(confirms).indexOf(true)).toBe(6); // 300 left after the 7th
    const parallel = withLimits({ maxParallelRequests: 6 });
    expect(Array.from({ length: 6 }, (_, i) => confirms(parallel.when({ callId: `p${i}` })))).toEqual([
      false,
      false,
      true,
      true,
      true,
      true,
    ]);
    const requests = withLimits({ requestsPerMinute: 3 });
    expect(Array.from({ length: 3 }, (_, i) => confirms(requests.when({ callId: `r${i}` })))).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('does not ask far from every limit', () => {
    const g = withBudget(1000);
    expect(confirms(g.when({ callId: 'far', model: 'priced' }))).toBe(false);
  });
});

describe('a restart while calls are in flight', () => {
  it('restores the reservations gateways report, so slots and budget stay taken until the usage settles them', () => {
    const key = keyCreated({
      rateLimits: { maxParallelRequests: 1, requestsPerMinute: 10 },
      budget: { maxUsd: 0.07, period: null, alertThresholds: [], webhookUrlHint: null },
    });
    const before = given(key, ...catalog, priced);
    const admitted = before.when({ callId: 'running', model: 'priced' });
    const ticket = admitted.allow ? admitted.limits?.reservation : undefined;
    expect(ticket).toMatchObject({ callId: 'running', keyId: 'key_1', reservedNanos: 50_000_000 });

    const after = given(key, ...catalog, priced); // a new policy process
    after.limiter.restore(JSON.parse(JSON.stringify(ticket)), NOW + 1000);
    after.limiter.restore(JSON.parse(JSON.stringify(ticket)), NOW + 1000); // reported twice: held once
    expect(after.when({ callId: 'next', model: 'priced', at: NOW + 1001 })).toMatchObject({
      allow: false,
      error: { rule: 'maxParallelRequests' },
    });
    expect(after.limiter.counters('key_1').budget).toMatchObject({ reserved: 50_000_000 });
    expect(
      after.limiter
        .counters('key_1')
        .window('requestsPerMinute')
        .used(NOW + 1001),
    ).toBe(1);
    after.limiter.settle(usage('running'), NOW + 2000);
    expect(
      after.limiter
        .counters('key_1')
        .window('requestsPerMinute')
        .used(NOW + 2000),
    ).toBe(1);
    expect(after.limiter.counters('key_1').budget).toMatchObject({ reserved: 0 });
    expect(
      after.when({
        callId: 'next',
        model: 'priced',
        at: NOW + 2001,
        estimate: { inputTokens: 0, maxOutputTokens: 50 },
      }),
    ).toMatchObject({ allow: false, error: { rule: 'budget' } });
    expect(
      after.when({
        callId: 'small',
        model: 'priced',
        at: NOW + 2002,
        estimate: { inputTokens: 0, maxOutputTokens: 40 },
      }),
    ).toMatchObject({ allow: true });
  });
});

describe('sweeping', () => {
  it('charges a call that never reported back at its reserved worst case, flagged, and frees its slot', () => {
    const g = given(
      keyCreated({
        rateLimits: { maxParallelRequests: 1 },
        budget: { maxUsd: 1, period: null, alertThresholds: [], webhookUrlHint: null },
      }),
      ...catalog,
      priced,
    );
    g.when({ callId: 'lost', model: 'priced' });
    expect(g.limiter.expired(NOW + 1000, 60_000)).toEqual([]);
    const [due] = g.limiter.expired(NOW + 60_000, 60_000);
    expect(g.limiter.expired(NOW + 61_000, 60_000)).toEqual([]); // marked: swept once
    const swept = sweptUsage(due, NOW + 60_000);
    expect(swept).toMatchObject({
      requestId: 'lost',
      estimated: true,
      swept: true,
      outputTokens: 50,
      costNanos: 50_000_000,
    });
    g.limiter.settle(swept, NOW + 60_001);
    expect(g.limiter.counters('key_1').budget).toMatchObject({ reserved: 0, spent: 50_000_000 });
    expect(codeOf(g.when({ callId: 'next', model: 'priced', at: NOW + 60_002 }))).toBe('allowed');
  });
});

describe('a call that outlives its reservation', () => {
  const held = () => {
    const g = given(
      keyCreated({
        rateLimits: { maxParallelRequests: 1, tokensPerMinute: 100_000 },
        budget: { maxUsd: 1, period: null, alertThresholds: [], webhookUrlHint: null },
      }),
      ...catalog,
      priced,
    );
    g.when({ callId: 'long', model: 'priced', estimate: { inputTokens: 0, maxOutputTokens: 50 } });
    const [due] = g.limiter.expired(NOW + 60_000, 60_000);
    g.limiter.settle(sweptUsage(due, NOW + 60_000), NOW + 60_001);
    return g;
  };

  it('is charged once: its late real report moves the spend from the sweep’s worst case to the real cost', () => {
    const g = held();
    expect(g.limiter.counters('key_1').budget).toMatchObject({ spent: 50_000_000, reserved: 0 });
    g.limiter.settle(usage('long', { outputTokens: 12, latencyMs: 90_000 }), NOW + 90_000);
    expect(g.limiter.counters('key_1').budget).toMatchObject({ spent: 12_000_000, reserved: 0 });
    expect(
      g.limiter
        .counters('key_1')
        .window('tokensPerMinute')
        .used(NOW + 90_000),
    ).toBe(12);
    expect(g.limiter.counters('key_1').inFlight).toBe(0);
  });

  it('does not count a copy of the late report again, nor the sweep once the report corrected it', () => {
    const g = held();
    g.limiter.settle(usage('long', { outputTokens: 12 }), NOW + 90_000);
    g.limiter.settle(usage('long', { outputTokens: 12, recovered: true }), NOW + 3 * 3600_000);
    g.limiter.expired(NOW + 3 * 3600_000, 60_000); // memories trimmed: a correction is remembered for a day
    g.limiter.settle(usage('long', { outputTokens: 12, recovered: true }), NOW + 4 * 3600_000);
    expect(g.limiter.counters('key_1').budget).toMatchObject({ spent: 12_000_000 });
  });

  it('ignores the sweep when the real report settled the call first', () => {
    const g = given(
      keyCreated({ budget: { maxUsd: 1, period: null, alertThresholds: [], webhookUrlHint: null } }),
      ...catalog,
      priced,
    );
    g.when({ callId: 'raced', model: 'priced' });
    const [due] = g.limiter.expired(NOW + 60_000, 60_000);
    g.limiter.settle(usage('raced', { outputTokens: 12 }), NOW + 60_001);
    g.limiter.settle(sweptUsage(due, NOW + 60_000), NOW + 60_002);
    expect(g.limiter.counters('key_1').budget).toMatchObject({ spent: 12_000_000, reserved: 0 });
  });

  it('corrects a sweep found in metering’s records (swept before a restart) by the difference', () => {
    const g = given(
      keyCreated({ budget: { maxUsd: 1, period: null, alertThresholds: [], webhookUrlHint: null } }),
      ...catalog,
      priced,
    );
    g.limiter.counters('key_1').ledger(g.keys.byId('key_1')!, NOW)!.spent = 50_000_000; // the rebuild counted the sweep
    const record = { keyId: 'key_1', swept: true, costNanos: 50_000_000, startedAt: NOW - 60_000 };
    g.limiter.correctRecordedSweep(usage('before-restart', { outputTokens: 7 }), record, NOW);
    g.limiter.correctRecordedSweep(usage('before-restart', { outputTokens: 7 }), record, NOW + 1); // a copy
    expect(g.limiter.counters('key_1').budget).toMatchObject({ spent: 7_000_000 });
  });
});

describe('settling from what a usage message says, defensively', () => {
  it('does not count a settlement that names another key than the call was admitted for, nor release the call', () => {
    const g = given(
      keyCreated({
        rateLimits: { maxParallelRequests: 1 },
        budget: { maxUsd: 1, period: null, alertThresholds: [], webhookUrlHint: null },
      }),
      keyCreated({
        keyId: 'key_2',
        keyHash: 'hash-2',
        budget: { maxUsd: 1, period: null, alertThresholds: [], webhookUrlHint: null },
      }),
      ...catalog,
      priced,
    );
    expect(g.when({ callId: 'live', model: 'priced' })).toMatchObject({ allow: true });
    g.limiter.settle(usage('live', { keyId: 'key_2', costNanos: 0 }), NOW + 10);
    expect(g.limiter.reservations.has('live')).toBe(true);
    expect(g.limiter.counters('key_1').inFlight).toBe(1);
    expect(g.limiter.counters('key_2').budget?.spent ?? 0).toBe(0);
    // The call's own report settles it, on its key.
    g.limiter.settle(usage('live'), NOW + 20);
    expect(g.limiter.counters('key_1')).toMatchObject({ inFlight: 0, budget: { spent: 30_000_000, reserved: 0 } });
  });

  it('keeps a start the message puts in the future from moving the windows past now', () => {
    const g = withLimits({ requestsPerMinute: 2 });
    expect(codeOf(g.when({ callId: 'a' }))).toBe('allowed');
    g.limiter.settle(usage('a'), NOW + 10);
    // A call this process did not admit, reported to have started a year from now.
    g.limiter.settle(usage('elsewhere', { startedAt: iso(NOW + 365 * 86_400_000) }), NOW + 20);
    expect(codeOf(g.when({ callId: 'b', at: NOW + 30 }))).toBe('rate_limit_exceeded');
  });

  it('ignores a charge that is not a finite number of nano-dollars', () => {
    const g = withBudget(1);
    const ledger = g.limiter.counters('key_1').ledger(g.keys.byId('key_1')!, NOW)!;
    ledger.charge(g.keys.byId('key_1')!.budget!, Number.NaN, NOW);
    ledger.charge(g.keys.byId('key_1')!.budget!, 5, Number.NaN);
    expect(ledger.spent).toBe(0);
    expect(ledger.fits(1_000_000_000)).toBe(true);
  });
});

describe('limits changed while calls are in flight', () => {
  const DAY = 86_400_000;
  const budget = (maxUsd: number, period: string | null) => ({
    maxUsd,
    period,
    alertThresholds: [],
    webhookUrlHint: null,
  });

  it('releases a reservation even if the budget was removed, and re-added, meanwhile', () => {
    const g = given(keyCreated({ budget: budget(1, null) }), ...catalog, priced);
    g.when({ callId: 'a', model: 'priced' });
    g.keys.apply(keyUpdated({ budget: null }));
    g.limiter.settle(usage('a'), NOW + 10);
    g.keys.apply(keyUpdated({ budget: budget(1, null) }));
    expect(g.limiter.counters('key_1').ledger(g.keys.byId('key_1')!, NOW + 20)).toMatchObject({ reserved: 0 });
  });

  it('shows one consistent period after the period is changed (1d → 30d), anchored at creation', () => {
    const createdAt = NOW - 10.5 * DAY;
    const g = given(keyCreated({ createdAt: iso(createdAt), budget: budget(10, '1d') }), ...catalog, priced);
    g.when({ callId: 'a', model: 'priced' });
    g.keys.apply(keyUpdated({ budget: budget(10, '30d') }));
    const ledger = g.limiter.counters('key_1').ledger(g.keys.byId('key_1')!, NOW + 1)!;
    const period = budgetPeriodAt(createdAt, '30d', NOW + 1);
    expect([ledger.periodStart, ledger.periodEnd]).toEqual([period.start, period.end]);
    expect(ledger.reserved).toBe(50_000_000);
  });

  it('charges a call to the period policy admitted it in, whatever the gateway clock said', () => {
    const g = given(keyCreated({ createdAt: iso(NOW - DAY), budget: budget(1, '1d') }), ...catalog, priced); // resets at NOW
    g.when({ callId: 'a', model: 'priced', at: NOW + 2 });
    g.limiter.settle(usage('a', { startedAt: iso(NOW - 3) }), NOW + 50);
    expect(g.limiter.counters('key_1').budget?.spent).toBe(30_000_000);
  });

  it('hands out no extra tokens when tokensPerMinute is added while a call is in flight', () => {
    const g = given(keyCreated({ rateLimits: { requestsPerMinute: 100 } }), ...catalog, priced);
    g.when({ callId: 'a', estimate: { inputTokens: 500, maxOutputTokens: 500 } });
    g.keys.apply(keyUpdated({ rateLimits: { requestsPerMinute: 100, tokensPerMinute: 1000 } }));
    g.limiter.settle(usage('a', { model: 'gpt-4o', inputTokens: 0, outputTokens: 0, status: 500 }), NOW + 10);
    g.when({ callId: 'b', at: NOW + 20, estimate: { inputTokens: 900, maxOutputTokens: null } });
    expect(g.when({ callId: 'c', at: NOW + 30, estimate: { inputTokens: 900, maxOutputTokens: null } })).toMatchObject({
      allow: false,
    });
  });

  it('does not admit a call whose cancel arrived before its (forwarded) admission', () => {
    const g = given(
      keyCreated({ rateLimits: { maxParallelRequests: 1 }, budget: budget(1, null) }),
      ...catalog,
      priced,
    );
    g.limiter.cancel('overtaken', NOW);
    expect(g.when({ callId: 'overtaken', model: 'priced', at: NOW + 500 })).toMatchObject({
      allow: false,
      error: { status: 503 },
    });
    expect(g.limiter.counters('key_1').inFlight).toBe(0);
    expect(g.limiter.counters('key_1').ledger(g.keys.byId('key_1')!, NOW + 500)).toMatchObject({
      reserved: 0,
      spent: 0,
    });
    expect(g.limiter.expired(NOW + 40 * 60_000, 35 * 60_000)).toEqual([]);
    expect(g.when({ callId: 'next', model: 'priced', at: NOW + 600 })).toMatchObject({ allow: true });
  });

  it('releases, uncharged, a call whose gateway gave up waiting for the reply', () => {
    const g = given(
      keyCreated({ rateLimits: { maxParallelRequests: 1 }, budget: budget(1, null) }),
      ...catalog,
      priced,
    );
    g.when({ callId: 'late', model: 'priced' });
    g.limiter.cancel('late', NOW + 2500);
    expect(g.limiter.counters('key_1').budget).toMatchObject({ reserved: 0, spent: 0 });
    expect(g.when({ callId: 'next', model: 'priced', at: NOW + 2600 })).toMatchObject({ allow: true });
    expect(g.limiter.expired(NOW + 40 * 60_000, 35 * 60_000).map((r) => r.callId)).toEqual(['next']); // nothing left of 'late' to sweep
  });
});
