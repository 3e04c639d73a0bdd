import { randomUUID } from 'node:crypto';
import {
  Subjects,
  type KeyLimitState,
  type KeyStateReply,
  type ReplyPart,
  type ReservationTicket,
  type UsageMessage,
} from '@sluice/contracts';
import { connectNats, publishDurable, request, requestAllParts, type NatsConnection } from '@sluice/messaging';
import { usageFixture, waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';
import { spendSettled } from './support/settled';

jest.setTimeout(300_000);

/**
 * Policy counts only what it can check (issue #9/#10 review): usage and settle messages match the
 * schema and name the call's own key, and the tickets gateways report at a restart are well-formed.
 * Each message here is one a NATS user other than a gateway could publish.
 */
describe('policy counts only usage it can check (real NATS, Postgres, supervised processes)', () => {
  let e2e: E2eSystem;
  let nc: NatsConnection;
  let gateway: string;

  const stateOf = async (keyId: string): Promise<KeyLimitState> =>
    (await request<KeyStateReply>(nc, Subjects.rpc.policyKeyState, { keyIds: [keyId] }, { timeoutMs: 2000 })).states[
      keyId
    ];
  const spentNanos = async (keyId: string) => Math.round((await stateOf(keyId)).budget!.spentUsd * 1e9);
  const createKey = async (body: Record<string, unknown>): Promise<string> => {
    const created = await e2e.admin('POST', '/keys', { name: `forged-${randomUUID()}`, ...body });
    expect(created.status).toBe(201);
    return created.body.id;
  };
  const call = (key: string, model = 'cheap') =>
    fetch(`${gateway}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Reply with 5 words' }], max_tokens: 40 }),
    });
  /**
   * A settle over core NATS, as a gateway sends it; `stateOf` afterwards on the same connection is answered after it
   * was handled.
   */
  const settleEarly = (usage: unknown) => nc.publish(Subjects.rpc.policySettle, JSON.stringify(usage));

  beforeAll(async () => {
    e2e = await startE2eSystem();
    gateway = e2e.system.gatewayUrl.replace('localhost', '127.0.0.1');
    nc = await connectNats(e2e.nats.url, 'forged-usage-e2e');
    await e2e.addCatalog('forged-upstream', ['cheap', 'slow-3000']);
  });
  afterAll(async () => {
    await nc?.drain();
    await e2e?.stop();
  });

  it('keeps refusing past a rate limit after usage with a start that is not an instant, early or durable', async () => {
    const created = await e2e.admin('POST', '/keys', { name: 'rpm-3', rateLimits: { requestsPerMinute: 3 } });
    const { id, key } = created.body;
    expect((await call(key)).status).toBe(200);
    const forged = (over: Partial<UsageMessage>) => ({
      ...usageFixture(randomUUID(), { keyId: id }),
      startedAt: 'not-a-date',
      ...over,
    });
    settleEarly(forged({}));
    await publishDurable(nc, Subjects.usage, forged({}), randomUUID());
    // A real charge published after it: policy reads the stream in order, so once this one is
    // counted the forged one was handled.
    const marker = await createKey({ budget: { maxUsd: 1 } });
    const real = usageFixture(randomUUID(), { keyId: marker, startedAt: new Date().toISOString(), costNanos: 1 });
    await publishDurable(nc, Subjects.usage, real, real.requestId);
    await waitFor(async () => (await spentNanos(marker)) === 1, { description: 'the marker charge' });

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(key)).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await stateOf(id)).rateLimits.requestsPerMinute).toMatchObject({ limit: 3, used: 3 });
  });

  it('counts each call of a gateway batch once, checking each on its own', async () => {
    const keyId = await createKey({ budget: { maxUsd: 1 } });
    const charge = (costNanos: number) =>
      usageFixture(randomUUID(), { keyId, startedAt: new Date().toISOString(), costNanos });
    const batch = [charge(1_000), { ...charge(50_000), startedAt: 'not-a-date' }, charge(20)];
    await publishDurable(nc, Subjects.usage, batch, `usage-batch.${randomUUID()}`);
    await waitFor(async () => (await spentNanos(keyId)) === 1_020, { description: "the batch's two good calls" });
    // The same batch again (a retry past JetStream's duplicate window), then a marker behind it:
    // once the marker is counted the copy was read, and it counted nothing again.
    await publishDurable(nc, Subjects.usage, batch, `usage-batch.${randomUUID()}`);
    await publishDurable(nc, Subjects.usage, [charge(3)], `usage-batch.${randomUUID()}`);
    await waitFor(async () => (await spentNanos(keyId)) === 1_023, { description: 'the marker' });
  });

  it('neither credits a budget nor releases a call in flight for a settle with a negative cost or another key', async () => {
    const created = await e2e.admin('POST', '/keys', {
      name: 'in-flight',
      rateLimits: { maxParallelRequests: 1 },
      budget: { maxUsd: 1 },
    });
    const { id, key } = created.body;
    const other = await createKey({ budget: { maxUsd: 1 } });
    const running = call(key, 'slow-3000');
    await waitFor(async () => (await stateOf(id)).rateLimits.maxParallelRequests?.inFlight === 1, {
      description: 'the call to be in flight',
    });
    // Anyone who may ask the gateways what is in flight learns the call's id.
    // Asked until the gateway's answer comes within the wait (a loaded machine may answer late).
    const ticket = await waitFor(
      async () => {
        const { items } = await requestAllParts<ReservationTicket>(nc, Subjects.gatewayInFlight, {
          maxWaitMs: 300,
          completeWithinMs: 3000,
        });
        return items.find((t) => t.keyId === id);
      },
      { description: "the call's ticket from the gateway" },
    );
    settleEarly(
      usageFixture(ticket.callId, { keyId: id, startedAt: new Date().toISOString(), costNanos: -5_000_000_000 }),
    );
    settleEarly(usageFixture(ticket.callId, { keyId: other, startedAt: new Date().toISOString(), costNanos: 0 }));
    const during = await stateOf(id);
    expect(during.budget).toMatchObject({ spentUsd: 0, reservedUsd: ticket.reservedNanos / 1e9 });
    expect(during.rateLimits.maxParallelRequests).toEqual({ limit: 1, inFlight: 1 });
    expect(await spentNanos(other)).toBe(0);

    const res = await running;
    expect(res.status).toBe(200);
    const cost = Math.round(Number(res.headers.get('x-sluice-cost-usd')) * 1e9);
    expect(cost).toBeGreaterThan(0);
    await spendSettled(async () => (await stateOf(id)).budget, cost);
  });

  it('restores at a restart only the well-formed reservation tickets a gateway reports', async () => {
    const created = await e2e.admin('POST', '/keys', {
      name: 'tickets',
      rateLimits: { maxParallelRequests: 5 },
      budget: { maxUsd: 1 },
    });
    const id: string = created.body.id;
    const ticket = (over: Record<string, unknown>) => ({
      callId: randomUUID(),
      keyId: id,
      admittedAt: Date.now() - 1000,
      tokens: 0,
      reservedNanos: 3_000_000,
      price: { inputNanosPerMTok: 1_000_000_000, outputNanosPerMTok: 2_000_000_000, cachedInputNanosPerMTok: null },
      worstCase: { inputTokens: 1000, outputTokens: 1000 },
      call: { model: 'cheap', upstreamModel: 'cheap', providerId: 'p', operation: 'chat', clientIp: '127.0.0.1' },
      ...over,
    });
    const items = [
      ticket({}),
      ticket({ reservedNanos: -1_000_000_000_000 }),
      ticket({ admittedAt: 'yesterday' }),
      ticket({ admittedAt: Date.now() + 86_400_000 }),
      ticket({ worstCase: { inputTokens: 'many' } }),
    ];
    const impostor = await connectNats(e2e.nats.url, 'not-a-gateway');
    impostor.subscribe(Subjects.gatewayInFlight, {
      callback: (_err, msg) =>
        void msg.respond(JSON.stringify({ from: 'impostor', part: 1, parts: 1, items } satisfies ReplyPart<unknown>)),
    });
    await impostor.flush();
    try {
      await e2e.system.services.get('policy')!.restart();
      const state = await stateOf(id);
      expect(state.budget).toMatchObject({ spentUsd: 0, reservedUsd: 0.003 });
      expect(state.rateLimits.maxParallelRequests).toEqual({ limit: 5, inFlight: 1 });
      await waitFor(
        () =>
          e2e.output.some(
            (line) => line.startsWith('policy') && line.includes('"ignored":4') && line.includes('not well-formed'),
          ),
        { description: 'policy to log the tickets it ignored' },
      );
    } finally {
      await impostor.drain();
    }
  });
});
