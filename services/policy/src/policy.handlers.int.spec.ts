import { parseEvent, partitionOf, Subjects, type AuthorizeRequest, type KeyStateReply } from '@sluice/contracts';
import { connectNats, request, type NatsConnection } from '@sluice/messaging';
import { startTestNats, waitFor, type TestNats } from '@sluice/testing';
import { catalog, keyCreated } from '../test/given';
import { startSlowLink } from '../test/slow-link';
import { Catalog } from './catalog/catalog';
import { KeyTable } from './keys/key-table';
import { Limiter } from './limits/limiter';
import { PolicyMetrics } from './telemetry/policy-metrics';
import { Partitioning } from './partitioning';
import { servePolicy, type PolicyState } from './policy.handlers';
import { AppliedVersions } from './sync/applied-versions';

jest.setTimeout(60_000);

const silent = { error: () => {} };
const SLOW_MS = 600;

/** A key id owned by partition 1 of 2. */
const KEY_ID = Array.from({ length: 100 }, (_, i) => `key_race_${i}`).find((id) => partitionOf(id, 2) === 1)!;

function partition(mine: number): PolicyState {
  const keys = new KeyTable();
  const limiter = new Limiter((id) => keys.byId(id));
  const partitioning = new Partitioning(2, mine);
  const metrics = new PolicyMetrics({ keys, limiter, partitioning });
  const state: PolicyState = {
    keys,
    catalog: new Catalog(),
    limiter,
    versions: new AppliedVersions(),
    partitioning,
    metrics,
  };
  const key = keyCreated({
    keyId: KEY_ID,
    keyHash: 'hash-race',
    rateLimits: { maxParallelRequests: 1 },
    budget: { maxUsd: 1, period: null, alertThresholds: [], webhookUrlHint: null },
  });
  for (const e of [key, ...catalog]) {
    const event = parseEvent(JSON.parse(JSON.stringify(e)))!;
    state.keys.apply(event);
    state.catalog.apply(event);
  }
  return state;
}

/**
 * Two policy partitions on a real NATS server. The partition that does not own the key hears
 * everything late (a slow link): the gateway gives up on the call and cancels it, and the cancel
 * reaches the owner before the slow partition's forwarded admission does.
 */
describe('a cancel that overtakes a forwarded admission (two partitions, real NATS)', () => {
  let nats: TestNats;
  let link: Awaited<ReturnType<typeof startSlowLink>>;
  const connections: NatsConnection[] = [];
  const owner = partition(1);
  const slow = partition(0);

  beforeAll(async () => {
    nats = await startTestNats();
    link = await startSlowLink(nats.url, SLOW_MS);
    const [gatewayNc, ownerNc, slowNc] = await Promise.all([
      connectNats(nats.url, 'gateway'),
      connectNats(nats.url, 'policy-p1'),
      connectNats(link.url, 'policy-p0-slow'),
    ]);
    connections.push(gatewayNc, ownerNc, slowNc);
    servePolicy(ownerNc, owner, silent);
    servePolicy(slowNc, slow, silent);
    await Promise.all([ownerNc.flush(), slowNc.flush()]);
  });
  afterAll(async () => {
    for (const nc of connections) await nc.drain().catch(() => {});
    await link?.close();
    await nats?.stop();
  });

  it('holds no slot and no reservation for the refused call, and leaves nothing to bill', async () => {
    const [gatewayNc, ownerNc] = connections;
    // The forwarded admission, as the owner receives it: observed on the side, without a queue group.
    const forwarded: unknown[] = [];
    ownerNc.subscribe(Subjects.rpc.authorizeIn(1), { callback: (_err, msg) => void forwarded.push(msg.json()) });
    await ownerNc.flush();

    const call: AuthorizeRequest = {
      keyHash: 'hash-race',
      model: 'gpt-4o',
      operation: 'chat',
      clientIp: '127.0.0.1',
      requestId: 'r-race',
      callId: 'call-race',
      estimate: { inputTokens: 10, maxOutputTokens: 100 },
    };
    // What a gateway does: ask, give up after its timeout, tell policy so.
    await expect(request(gatewayNc, Subjects.rpc.authorizeIn(0), call, { timeoutMs: SLOW_MS / 3 })).rejects.toThrow();
    gatewayNc.publish(Subjects.rpc.policyCancel, JSON.stringify({ callId: call.callId }));
    await gatewayNc.flush();

    await waitFor(() => forwarded.length === 1, {
      timeoutMs: 5000,
      intervalMs: 10,
      description: 'the slow partition to forward the call',
    });
    // Asked on the owner's connection after the forward: answered once the forward was handled.
    const state = (
      await request<KeyStateReply>(
        gatewayNc,
        Subjects.rpc.policyIn(1, 'key-state'),
        { keyIds: [KEY_ID] },
        { timeoutMs: 2000 },
      )
    ).states[KEY_ID];
    expect(state.rateLimits.maxParallelRequests).toEqual({ limit: 1, inFlight: 0 });
    expect(state.budget).toMatchObject({ spentUsd: 0, reservedUsd: 0 });
    expect(owner.limiter.reservations.size).toBe(0);
    // Nothing for the sweeper to charge, however long one waits.
    expect(owner.limiter.expired(Date.now() + 24 * 3600_000, 1000)).toEqual([]);
    // And the key's one slot is free for its next call.
    const next = await request<{ allow: boolean }>(
      gatewayNc,
      Subjects.rpc.authorizeIn(1),
      { ...call, requestId: 'r-next', callId: 'call-next' },
      { timeoutMs: 2000 },
    );
    expect(next.allow).toBe(true);
  });

  it('still reaches the owner through the slow partition when nobody gives up', async () => {
    const [gatewayNc] = connections;
    const call: AuthorizeRequest = {
      keyHash: 'hash-race',
      model: 'gpt-4o',
      operation: 'chat',
      clientIp: '127.0.0.1',
      requestId: 'r-patient',
      callId: 'call-patient',
    };
    owner.limiter.cancel('call-next', Date.now()); // the previous test's call ends: its slot is free again
    const reply = await request<{ allow: boolean; partition?: number }>(gatewayNc, Subjects.rpc.authorizeIn(0), call, {
      timeoutMs: 5000,
    });
    expect(reply).toMatchObject({ allow: true, partition: 1 });
  });
});
