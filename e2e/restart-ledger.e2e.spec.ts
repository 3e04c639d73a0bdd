import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Subjects,
  type InFlightReply,
  type KeyLimitState,
  type KeyStateReply,
  type ReservationTicket,
  type UsageMessage,
} from '@sluice/contracts';
import { appendToStream } from '@sluice/event-store';
import { connectNats, publishDurable, request, type NatsConnection } from '@sluice/messaging';
import { usageFixture, waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';
import { spendSettled } from './support/settled';

jest.setTimeout(300_000);

const TTL_MS = 5000;
const MINUTE = 60_000;

/**
 * A policy restart loses no charge (issue #9/#10 review): the restart sums metering's records for
 * calls that ended before its cut and replays the usage stream for the rest, and every call counts
 * once on one side or the other — whatever its flags, its age, or when metering stored it.
 */
describe('a policy restart keeps every charge (real NATS, Postgres, supervised processes)', () => {
  let e2e: E2eSystem;
  let nc: NatsConnection;
  let gateway: string;

  const stateOf = async (keyId: string): Promise<KeyLimitState> =>
    (await request<KeyStateReply>(nc, Subjects.rpc.policyKeyState, { keyIds: [keyId] }, { timeoutMs: 2000 })).states[
      keyId
    ];
  const spentNanos = async (keyId: string) => Math.round((await stateOf(keyId)).budget!.spentUsd * 1e9);
  const recorded = async (keyId: string) =>
    (await e2e.database.db.selectFrom('usage_records').select('request_id').where('key_id', '=', keyId).execute())
      .length;
  const recordedNanos = async (keyId: string) =>
    (await e2e.database.db.selectFrom('usage_records').select('cost_usd').where('key_id', '=', keyId).execute()).reduce(
      (sum, r) => sum + Math.round(Number(r.cost_usd) * 1e9),
      0,
    );
  const budgetedKey = async (name: string): Promise<{ id: string; key: string }> => {
    const created = await e2e.admin('POST', '/keys', { name, budget: { maxUsd: 1 } });
    expect(created.status).toBe(201);
    return created.body;
  };
  /**
   * A key with a budget created an hour ago, so calls that began before the restart's cut count
   * toward its budget: written to the log as key-registry would have (the admin API creates keys now).
   */
  const hourOldKey = async (rateLimits: { maxParallelRequests: number } | null = null): Promise<string> => {
    const keyId = `key_${randomUUID().replaceAll('-', '')}`;
    const createdAt = new Date(Date.now() - 60 * MINUTE).toISOString();
    const data = {
      keyId,
      keyHash: `hash-${keyId}`,
      keyHint: 'sk-sluice-old…',
      createdAt,
      name: 'an hour old',
      description: null,
      models: null,
      operations: null,
      ipAllowlist: null,
      providerIds: null,
      expiresAt: null,
      metadata: {},
      rateLimits,
      budget: { maxUsd: 1, period: null, alertThresholds: [], webhookUrlHint: null },
    };
    await appendToStream(e2e.database.db, {
      streamId: `key-${keyId}`,
      streamType: 'key',
      expectedVersion: 'no_stream',
      events: [
        {
          eventId: randomUUID(),
          type: 'KeyCreated',
          schemaVersion: 2,
          data,
          metadata: { actor: 'test', occurredAt: createdAt },
        },
      ],
    });
    await waitFor(async () => (await stateOf(keyId))?.budget, {
      timeoutMs: 10_000,
      intervalMs: 50,
      description: 'policy to apply the key',
    });
    return keyId;
  };
  const usage = (keyId: string, over: Partial<UsageMessage>): UsageMessage =>
    usageFixture(randomUUID(), {
      keyId,
      status: 0,
      estimated: true,
      latencyMs: 0,
      startedAt: new Date().toISOString(),
      costNanos: 1_000_000,
      ...over,
    });

  beforeAll(async () => {
    e2e = await startE2eSystem({ env: { SLUICE_POLICY_RESERVATION_TTL_MS: String(TTL_MS) } });
    gateway = e2e.system.gatewayUrl.replace('localhost', '127.0.0.1');
    nc = await connectNats(e2e.nats.url, 'restart-ledger-e2e');
    await e2e.addCatalog('restart-upstream', ['cheap']);
  });
  afterAll(async () => {
    await nc?.drain();
    await e2e?.stop();
  });

  it('keeps the spend of calls that ended within the overlap and started more than the TTL ago', async () => {
    const { id, key } = await budgetedKey('restart-spend');
    const firstStarted = Date.now();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gateway}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'cheap',
          messages: [{ role: 'user', content: 'Reply with 9 words' }],
          max_tokens: 40,
        }),
      });
      expect(res.status).toBe(200);
    }
    await waitFor(async () => (await recorded(id)) === 3, { timeoutMs: 5000, intervalMs: 25 });
    // What the three calls cost as metering recorded them, and policy's live spend once it has them all.
    const before = await recordedNanos(id);
    expect(before).toBeGreaterThan(0);
    await spendSettled(async () => (await stateOf(id)).budget, before);
    // Until the calls are older than the TTL (a fact of the clock, not a race): the replay then
    // looks them up in metering's records, which hold them although its sum does not.
    await sleep(Math.max(0, firstStarted + TTL_MS + 500 - Date.now()));
    await e2e.system.services.get('policy')!.restart();
    expect(await spentNanos(id)).toBe(before);
  });

  it('keeps a recovered (spool) and a swept charge that ended after the cut', async () => {
    const { id } = await budgetedKey('recovered-and-swept');
    const recoveredCall = usage(id, { recovered: true });
    const sweptCall = usage(id, { swept: true, latencyMs: 1 });
    await publishDurable(nc, Subjects.usage, recoveredCall, recoveredCall.requestId);
    await publishDurable(nc, Subjects.usage, sweptCall, `${sweptCall.requestId}.swept`);
    await waitFor(async () => (await spentNanos(id)) === 2_000_000, {
      timeoutMs: 5000,
      intervalMs: 25,
      description: 'policy to charge both',
    });
    await waitFor(async () => (await recorded(id)) === 2, { timeoutMs: 5000, intervalMs: 25 });
    await e2e.system.services.get('policy')!.restart();
    expect(await spentNanos(id)).toBe(2_000_000);
  });

  it('counts a recovered charge that ended before the cut and reached metering only after the restart summed its records', async () => {
    const id = await hourOldKey();
    const policy = e2e.system.services.get('policy')!;
    const metering = e2e.system.services.get('metering')!;
    await metering.stop();
    await policy.stop();
    // A dead gateway's spool, recovered now: the call began 15 minutes ago (before the 10-minute
    // cut) and carries no latency. Metering is behind, so the restart's sum cannot hold it.
    const late = usage(id, { recovered: true, startedAt: new Date(Date.now() - 15 * MINUTE).toISOString() });
    await publishDurable(nc, Subjects.usage, late, late.requestId);
    await policy.restart();
    expect(await spentNanos(id)).toBe(1_000_000);
    await metering.restart();
    await waitFor(async () => (await recorded(id)) === 1, { timeoutMs: 10_000, intervalMs: 50 });
    // Once metering holds it, a further restart counts it from the records, once.
    await policy.restart();
    expect(await spentNanos(id)).toBe(1_000_000);
  });

  it('does not hold or charge again a call in flight that an earlier process swept more than the overlap ago', async () => {
    const id = await hourOldKey({ maxParallelRequests: 2 });
    // Admitted 20 minutes ago and swept 5 minutes later by the policy of that time; metering recorded the sweep.
    const callId = randomUUID();
    const admittedAt = Date.now() - 20 * MINUTE;
    await e2e.database.db
      .insertInto('usage_records')
      .values({
        request_id: callId,
        key_id: id,
        model: 'cheap',
        upstream_model: 'cheap',
        provider_id: 'p',
        operation: 'chat',
        stream: true,
        status: 0,
        input_tokens: 1000,
        cached_input_tokens: 0,
        output_tokens: 1000,
        reasoning_tokens: 0,
        cost_usd: '0.003',
        estimated: true,
        latency_ms: 5 * MINUTE,
        ttfb_ms: null,
        client_ip: '127.0.0.1',
        started_at: new Date(admittedAt),
        client_request_id: null,
        caller_user: null,
        caller_metadata: null,
        swept: true,
      })
      .execute();
    // Its gateway still streams it, and reports it in flight when policy starts.
    const ticket: ReservationTicket = {
      callId,
      keyId: id,
      admittedAt,
      tokens: 0,
      reservedNanos: 3_000_000,
      price: { inputNanosPerMTok: 1_000_000_000, outputNanosPerMTok: 2_000_000_000, cachedInputNanosPerMTok: null },
      worstCase: { inputTokens: 1000, outputTokens: 1000 },
      call: { model: 'cheap', upstreamModel: 'cheap', providerId: 'p', operation: 'chat', clientIp: '127.0.0.1' },
    };
    const gateway = await connectNats(e2e.nats.url, 'gateway-holding-the-call');
    gateway.subscribe(Subjects.gatewayInFlight, {
      callback: (_err, msg) =>
        void msg.respond(JSON.stringify({ from: 'held', part: 1, parts: 1, items: [ticket] } satisfies InFlightReply)),
    });
    await gateway.flush();
    try {
      await e2e.system.services.get('policy')!.restart();
      const state = await stateOf(id);
      // The sweep is counted once (from the records); nothing is held that a sweep could charge again.
      expect(state.budget).toMatchObject({ spentUsd: 0.003, reservedUsd: 0 });
      expect(state.rateLimits.maxParallelRequests).toEqual({ limit: 2, inFlight: 0 });
    } finally {
      await gateway.drain();
    }
  });
});
