import { Subjects, type LeasedCall } from '@sluice/contracts';
import { connectNats, type NatsConnection } from '@sluice/messaging';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';
import { spendSettled } from './support/settled';

jest.setTimeout(300_000);

/** $1 / $2 per million tokens (addCatalog): 1,000 / 2,000 nano-dollars a token. */
const invoicedNanos = (promptTokens: number, completionTokens: number) => promptTokens * 1000 + completionTokens * 2000;

/**
 * Quota leases (SLUICE_LEASES=1) against the running system, two gateways: most calls are admitted
 * without an authorize round trip, and still the budget is never overspent, the ledger equals the
 * upstream's invoice, and a disabled key is refused on its next call through a gateway holding a lease.
 */
describe('quota leases (real NATS, Postgres, supervised processes, two gateways)', () => {
  let e2e: E2eSystem;
  let nc: NatsConnection;
  let gateways: string[];
  let authorizeRequests = 0;

  const call = async (gateway: string, key: string, model: string, requestId: string) => {
    const res = await fetch(`${gateway}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ model, max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    const body = (await res.json()) as any;
    return { status: res.status, code: body?.error?.code as string | undefined };
  };

  beforeAll(async () => {
    e2e = await startE2eSystem({ env: { SLUICE_LEASES: '1' } });
    gateways = [e2e.system.gatewayUrl.replace('localhost', '127.0.0.1'), (await e2e.startGateway()).url];
    await e2e.addCatalog('lease-upstream', ['lease-budget', 'lease-rules', 'hold-notice']);
    nc = await connectNats(e2e.nats.url, 'lease-e2e');
    // Every authorize request on the bus, from either gateway, to any policy subject.
    nc.subscribe('sluice.rpc.policy.>', {
      callback: (_err, msg) => {
        if (msg.subject.endsWith('.authorize')) authorizeRequests++;
      },
    });
    await nc.flush();
  });
  afterAll(async () => {
    await nc?.drain();
    await e2e?.stop();
  });

  // First in this file: no leased call has run on the first gateway yet, so the call below is the
  // one that starts its notice timer.
  it('tells policy of a leased call only once it has run 250 ms (npm start: the spool outlives the gateway)', async () => {
    const created = await e2e.admin('POST', '/keys', { name: 'lease-notices', budget: { maxUsd: 10 } });
    expect(created.status).toBe(201);
    const { id, key } = created.body as { id: string; key: string };
    const told: { callId: string; at: number }[] = [];
    const notices = nc.subscribe(Subjects.rpc.policyLeaseCall, {
      callback: (_err, msg) => {
        for (const notice of [msg.json<LeasedCall | LeasedCall[]>()].flat())
          if (notice.ticket.keyId === id) told.push({ callId: notice.ticket.callId, at: performance.now() });
      },
    });
    await nc.flush();
    try {
      // Both held at the upstream until released: the first is authorized by policy and brings a
      // lease back; the second, sent once the first is at the upstream, is admitted under it.
      const first = call(gateways[0], key, 'hold-notice', 'notice-authorized');
      await waitFor(() => e2e.upstream.invoice.inFlight === 1, { description: 'the first call at the upstream' });
      const sentAt = performance.now();
      const leased = call(gateways[0], key, 'hold-notice', 'notice-leased');
      await waitFor(() => e2e.upstream.invoice.inFlight === 2, { description: 'the leased call at the upstream' });
      await waitFor(() => told.length > 0, { description: 'the leased call told to policy' });
      // Not as it started (SLUICE_GATEWAY_LEASE_NOTICE_MS=0 tells it before it asks its upstream),
      // but once it had run the delay: this call started the gateway's notice timer.
      expect(told[0].at - sentAt).toBeGreaterThanOrEqual(200);
      expect(told).toHaveLength(1);
      e2e.upstream.release('notice');
      expect((await Promise.all([first, leased])).map((r) => r.status)).toEqual([200, 200]);
      // Told once, and settled once: the key's spend is what the upstream invoiced for the two.
      const invoiced = [...e2e.upstream.invoice.byRequest.values()]
        .filter((e) => e.model === 'hold-notice')
        .reduce((sum, e) => sum + invoicedNanos(e.promptTokens, e.completionTokens), 0);
      await spendSettled(async () => (await e2e.admin('GET', `/keys/${id}`)).body.budget, invoiced);
    } finally {
      notices.unsubscribe();
    }
  });

  it('spends leases on both gateways, sequentially and concurrently, and never overspends: the ledger is the invoice', async () => {
    const maxUsd = 0.01;
    const created = await e2e.admin('POST', '/keys', {
      name: 'leased-budget',
      rateLimits: { requestsPerMinute: 100_000, maxParallelRequests: 1000 },
      budget: { maxUsd },
    });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    const before = authorizeRequests;
    let n = 0;
    const results: { status: number; code?: string }[] = [];
    // Sequential, alternating gateways, then bursts of 16 concurrent calls across both.
    for (let i = 0; i < 60; i++) results.push(await call(gateways[i % 2], key, 'lease-budget', `lease-seq-${++n}`));
    for (let burst = 0; burst < 8; burst++)
      results.push(
        ...(await Promise.all(
          Array.from({ length: 16 }, (_, i) => call(gateways[i % 2], key, 'lease-budget', `lease-burst-${++n}`)),
        )),
      );
    const admitted = results.filter((r) => r.status === 200).length;
    expect(results.filter((r) => r.status !== 200).every((r) => r.code === 'insufficient_quota')).toBe(true);
    expect(admitted).toBeGreaterThan(20);
    // Leases answered most of the calls admitted far from the budget's end.
    expect(authorizeRequests - before).toBeLessThan(results.length);

    const invoiced = () =>
      [...e2e.upstream.invoice.byRequest.values()]
        .filter((e) => e.model === 'lease-budget')
        .reduce((sum, e) => sum + invoicedNanos(e.promptTokens, e.completionTokens), 0);
    expect(e2e.upstream.invoice.byRequest.size).toBeGreaterThanOrEqual(admitted);
    expect(invoiced()).toBeLessThanOrEqual(maxUsd * 1e9);

    const ledger = await waitFor(
      async () => {
        const rows = await e2e.database.db
          .selectFrom('usage_records')
          .select(['cost_usd'])
          .where('key_id', '=', created.body.id)
          .execute();
        return rows.length === admitted && rows;
      },
      { timeoutMs: 30_000, description: 'every admitted call recorded' },
    );
    const recordedNanos = ledger.reduce((sum, r) => sum + Math.round(Number(r.cost_usd) * 1e9), 0);
    expect(recordedNanos).toBe(invoiced());
    // Policy's spend is the ledger's once the leases are back (nothing stays reserved).
    await waitFor(
      async () => {
        const state = await e2e.admin('GET', `/keys/${created.body.id}`);
        return (
          state.body.budget?.reservedUsd === 0 && Math.round(Number(state.body.budget.spentUsd) * 1e9) === recordedNanos
        );
      },
      { timeoutMs: 30_000, description: 'the leases handed back and the spend settled' },
    );
  });

  it('refuses a disabled key on its next call through a gateway that held a lease', async () => {
    const created = await e2e.admin('POST', '/keys', { name: 'leased-then-disabled', budget: { maxUsd: 100 } });
    const key = created.body.key as string;
    // Two calls through the same gateway: the second spends the lease the first brought.
    const before = authorizeRequests;
    expect((await call(gateways[0], key, 'lease-rules', 'lease-dis-1')).status).toBe(200);
    expect((await call(gateways[0], key, 'lease-rules', 'lease-dis-2')).status).toBe(200);
    expect(authorizeRequests - before).toBe(1);
    expect((await e2e.admin('POST', `/keys/${created.body.id}/disable`)).status).toBe(200);
    expect(await call(gateways[0], key, 'lease-rules', 'lease-dis-3')).toMatchObject({
      status: 401,
      code: 'key_disabled',
    });
  });
});
