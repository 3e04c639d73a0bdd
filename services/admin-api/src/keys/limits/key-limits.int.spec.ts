import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  adminTokenHint,
  generateAdminToken,
  hashAdminToken,
  promptTokens,
  Subjects,
  type KeyLimitState,
  type KeyStateReply,
  type KeyStateRequest,
  type SimulateReply,
  type SimulateRequest,
} from '@sluice/contracts';
import { connectNats, serve, type NatsConnection } from '@sluice/messaging';
import { startTestNats, type TestNats, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { AdminModule } from '../../app.module';
import { acceptEmptyJsonBodies } from '../../shared/json-body';

const OWNER = 'owner-token-for-the-limits-int-test';
const budget = { maxUsd: 5, period: '1d', alertThresholds: [50, 80, 100], webhookUrlHint: null };

/**
 * The admin API in-process on real Postgres and NATS, with a fake policy answering the limit
 * subjects: this tests admin-api's reads and mapping, not policy's decisions.
 */
describe('key limits on the admin API (real Postgres and NATS, a fake policy)', () => {
  let t: TestDatabase;
  let nats: TestNats;
  let nc: NatsConnection;
  let app: NestFastifyApplication;
  let auditor: string;
  const policy = { keyState: [] as KeyStateRequest[], simulate: [] as SimulateRequest[], explain: [] as unknown[] };
  let fakePolicy: { unsubscribe(): void }[] = [];

  const call = async (method: 'GET' | 'POST', url: string, body?: unknown, token = OWNER) => {
    const res = await app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method,
        url: `/admin/v1${url}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
  };

  const insertKey = (
    id: string,
    limits: { rateLimits?: unknown; budget?: unknown },
    createdAt = '2026-11-01T14:05:00.000Z',
  ) =>
    t.db
      .insertInto('keys_view')
      .values({
        id,
        name: id,
        description: null,
        status: 'active',
        key_hash: `hash-${id}`,
        key_hint: 'sk-sluice-AbCd…wXyZ',
        models: JSON.stringify(['gpt-*']),
        operations: null,
        expires_at: null,
        metadata: '{}',
        created_at: createdAt,
        version: 1,
        rate_limits: limits.rateLimits ? JSON.stringify(limits.rateLimits) : null,
        budget: limits.budget ? JSON.stringify(limits.budget) : null,
        budget_period_start: createdAt,
      })
      .execute();

  const liveState = (keyId: string): KeyLimitState => ({
    keyId,
    rateLimits: { requestsPerMinute: { limit: 60, used: 2, inFlight: 1, remaining: 58, resetsInMs: 0 } },
    budget: {
      ...budget,
      anchor: 'key-created',
      periodStart: '2026-11-23T14:05:00.000Z',
      resetsAt: '2026-11-24T14:05:00.000Z',
      spentUsd: 1.25,
      reservedUsd: 0.25,
      remainingUsd: 3.5,
      thresholdsReached: [],
    },
  });

  // Each waits until the server has the subscriptions (flush), or the first request could find no responder.
  const answering = async () => {
    fakePolicy = [
      serve(
        nc,
        Subjects.rpc.policyKeyState,
        async (p) => {
          const req = p as KeyStateRequest;
          policy.keyState.push(req);
          return { states: Object.fromEntries(req.keyIds.map((id) => [id, liveState(id)])) } satisfies KeyStateReply;
        },
        { queue: 'policy' },
      ),
      serve(
        nc,
        Subjects.rpc.policyExplain,
        async (p) => {
          policy.explain.push(p);
          return {
            keyId: (p as { keyId: string }).keyId,
            status: 'active',
            rules: [{ rule: 'models', setting: ['gpt-*'] }],
          };
        },
        { queue: 'policy' },
      ),
      serve(
        nc,
        Subjects.rpc.policySimulate,
        async (p) => {
          policy.simulate.push(p as SimulateRequest);
          return {
            allowed: false,
            rule: 'models',
            error: null,
            route: null,
            headers: {},
            reservedUsd: null,
          } satisfies SimulateReply;
        },
        { queue: 'policy' },
      ),
    ];
    await nc.flush();
  };
  /** A policy that receives the requests and never answers (stuck, or its replies lost). */
  const stuck = async () => {
    fakePolicy = [Subjects.rpc.policyKeyState, Subjects.rpc.policyExplain, Subjects.rpc.policySimulate].map((s) =>
      nc.subscribe(s, { queue: 'policy' }),
    );
    await nc.flush();
  };

  beforeAll(async () => {
    [t, nats] = await Promise.all([createTestDatabase(), startTestNats()]);
    Object.assign(process.env, { DATABASE_URL: t.url, NATS_URL: nats.url, SLUICE_ADMIN_TOKEN: OWNER });
    nc = await connectNats(nats.url, 'fake-policy');
    app = await NestFactory.create<NestFastifyApplication>(AdminModule, new FastifyAdapter(), {
      logger: false,
      bodyParser: false,
    });
    acceptEmptyJsonBodies(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    auditor = generateAdminToken();
    await t.db
      .insertInto('admin_tokens_view')
      .values({
        id: 'adm_auditor',
        name: 'auditor',
        role: 'auditor',
        token_hash: hashAdminToken(auditor),
        token_hint: adminTokenHint(auditor),
        created_at: new Date(),
      })
      .execute();
    await insertKey('key_limited', { rateLimits: { requestsPerMinute: 60 }, budget });
    await insertKey('key_budget_only', { budget: { ...budget, period: null } });
    await insertKey('key_plain', {});
  });

  afterEach(() => {
    for (const sub of fakePolicy) sub.unsubscribe();
    fakePolicy = [];
    policy.keyState.length = policy.simulate.length = policy.explain.length = 0;
  });

  afterAll(async () => {
    await app?.close();
    await nc?.drain();
    await Promise.all([t?.drop(), nats?.stop()]);
  });

  it("shows a key's limit settings with policy's live budget and rate-limit state", async () => {
    await answering();
    const { status, body } = await call('GET', '/keys/key_limited');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      rateLimits: { requestsPerMinute: 60 },
      budget: liveState('key_limited').budget,
      rateLimitState: liveState('key_limited').rateLimits,
    });
    expect(body.budget.remainingUsd).toBe(3.5);
  });

  it('asks policy once for every limited key on a page, and shows a key without limits with budget null', async () => {
    await answering();
    const { status, body } = await call('GET', '/keys?limit=10');
    expect(status).toBe(200);
    expect(policy.keyState).toEqual([{ keyIds: ['key_budget_only', 'key_limited'] }]);
    const byId = Object.fromEntries(body.data.map((k: { id: string }) => [k.id, k]));
    expect(byId.key_plain).toMatchObject({ rateLimits: null, budget: null });
    expect(byId.key_plain).not.toHaveProperty('rateLimitState');
    expect(byId.key_budget_only.budget).toMatchObject({ maxUsd: 5, spentUsd: 1.25 });
  });

  it('still answers a key read when policy does not, within about half a second, with the settings and the period but no live state', async () => {
    await stuck();
    const started = Date.now();
    const { status, body } = await call('GET', '/keys/key_budget_only');
    const tookMs = Date.now() - started;
    expect(status).toBe(200);
    expect(tookMs).toBeLessThan(1500);
    expect(body.budget).toEqual({
      ...budget,
      period: null,
      anchor: 'key-created',
      periodStart: '2026-11-01T14:05:00.000Z',
      resetsAt: null,
      thresholdsReached: [],
    });
    expect(body).not.toHaveProperty('rateLimitState');
  });

  it("explains a key's effective policy from policy's answer, 404 for an unknown key without asking policy", async () => {
    await answering();
    expect(await call('GET', '/keys/key_limited/effective-policy')).toEqual({
      status: 200,
      body: { keyId: 'key_limited', status: 'active', rules: [{ rule: 'models', setting: ['gpt-*'] }] },
    });
    expect(await call('GET', '/keys/key_missing/effective-policy')).toMatchObject({
      status: 404,
      body: { error: { code: 'KEY.NOT_FOUND' } },
    });
    expect(policy.explain).toEqual([{ keyId: 'key_limited' }]);
  });

  it('answers 503 UNAVAILABLE when policy does not answer an explain or a dry run', async () => {
    await stuck();
    expect(await call('GET', '/keys/key_limited/effective-policy')).toMatchObject({
      status: 503,
      body: { error: { code: 'UNAVAILABLE' } },
    });
    expect(await call('POST', '/keys/key_limited/simulate', { model: 'gpt-4o' })).toMatchObject({
      status: 503,
      body: { error: { code: 'UNAVAILABLE' } },
    });
  });

  it("sends policy a dry run with the prompt estimated as the gateway estimates it, and answers policy's verdict; auditors may ask", async () => {
    await answering();
    const body = {
      model: 'claude-3',
      messages: [{ role: 'user', content: 'x'.repeat(40) }],
      maxTokens: 100,
      clientIp: '10.1.2.3',
    };
    const verdict = await call('POST', '/keys/key_limited/simulate', body, auditor);
    expect(verdict).toEqual({
      status: 200,
      body: { allowed: false, rule: 'models', error: null, route: null, headers: {}, reservedUsd: null },
    });
    const inputTokensBound = promptTokens('chat', { messages: body.messages }).bound;
    expect(policy.simulate).toEqual([
      {
        keyId: 'key_limited',
        model: 'claude-3',
        operation: 'chat',
        clientIp: '10.1.2.3',
        estimate: { inputTokens: 17, inputTokensBound, maxOutputTokens: 100 },
      },
    ]);
  });

  it('refuses a dry run it cannot make: 400 for a bad body, 404 for an unknown key, and asks policy nothing', async () => {
    await answering();
    expect(await call('POST', '/keys/key_limited/simulate', { model: 'gpt-4o', max_tokens: 5 })).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED' } },
    });
    expect(await call('POST', '/keys/key_missing/simulate', { model: 'gpt-4o' })).toMatchObject({
      status: 404,
      body: { error: { code: 'KEY.NOT_FOUND' } },
    });
    expect(policy.simulate).toEqual([]);
  });
});
