import OpenAI from 'openai';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(120_000);

const DAY_MS = 86_400_000;

describe("a key's limits on the admin API: live budget, effective policy and dry runs, end to end (real NATS, Postgres, service processes)", () => {
  let e2e: E2eSystem;
  let gateway: string;
  let key: { id: string; key: string; createdAt: string };
  let auditor: string;

  const as = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${e2e.system.adminUrl}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    e2e = await startE2eSystem({ env: { SLUICE_UPSTREAM_ALLOW: '127.0.0.0/8' } });
    gateway = e2e.system.gatewayUrl.replace('localhost', '127.0.0.1');
    await e2e.addCatalog('upstream', ['gpt-test', 'claude-test']);
    const created = await e2e.admin('POST', '/keys', {
      name: 'limited',
      models: ['gpt-*'],
      rateLimits: { requestsPerMinute: 100, tokensPerMinute: 50_000 },
      budget: { maxUsd: 2, period: '1d' },
    });
    expect(created.status).toBe(201);
    key = created.body;
    const token = await e2e.admin('POST', '/admin-tokens', { name: 'auditor', role: 'auditor' });
    expect(token.status).toBe(201);
    auditor = token.body.token;
  });

  afterAll(async () => {
    await e2e?.stop();
  });

  it('shows a new key its whole budget, the period anchored at its creation, and its rate-limit windows unused', async () => {
    const { status, body } = await e2e.admin('GET', `/keys/${key.id}`);
    expect(status).toBe(200);
    expect(body.rateLimits).toEqual({ requestsPerMinute: 100, tokensPerMinute: 50_000 });
    expect(body.budget).toMatchObject({
      maxUsd: 2,
      period: '1d',
      anchor: 'key-created',
      alertThresholds: [50, 80, 100],
      spentUsd: 0,
      reservedUsd: 0,
      remainingUsd: 2,
      periodStart: key.createdAt,
      resetsAt: new Date(Date.parse(key.createdAt) + DAY_MS).toISOString(),
      thresholdsReached: [],
    });
    expect(body.rateLimitState.requestsPerMinute).toMatchObject({ limit: 100, used: 0, remaining: 100 });
    const listed = await e2e.admin('GET', '/keys');
    expect(listed.body.data.find((k: { id: string }) => k.id === key.id).budget).toMatchObject({ remainingUsd: 2 });
  });

  it("lists every rule that applies to the key in its effective policy, with the budget's state", async () => {
    const { status, body } = await as(auditor, 'GET', `/keys/${key.id}/effective-policy`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ keyId: key.id, status: 'active' });
    const rules = Object.fromEntries(body.rules.map((r: { rule: string }) => [r.rule, r]));
    expect(Object.keys(rules)).toEqual(
      expect.arrayContaining([
        'status',
        'models',
        'operations',
        'ipAllowlist',
        'requestsPerMinute',
        'tokensPerMinute',
        'budget',
      ]),
    );
    expect(rules.models.setting).toEqual(['gpt-*']);
    expect(rules.requestsPerMinute.setting).toBe(100);
    expect(rules.budget).toMatchObject({ setting: { maxUsd: 2, period: '1d' }, state: { remainingUsd: 2 } });
  });

  it('refuses, in a dry run, a model outside the key, naming the rule, and counts nothing', async () => {
    const refused = await as(auditor, 'POST', `/keys/${key.id}/simulate`, { model: 'claude-test' });
    expect(refused).toMatchObject({
      status: 200,
      body: { allowed: false, rule: 'models', error: { code: 'model_not_allowed' }, route: null },
    });
    const allowed = await e2e.admin('POST', `/keys/${key.id}/simulate`, {
      model: 'gpt-test',
      inputTokens: 1000,
      maxTokens: 1000,
    });
    expect(allowed).toMatchObject({
      status: 200,
      body: { allowed: true, rule: null, error: null, route: { upstreamModel: 'gpt-test' } },
    });
    // Worst case: 1000 input tokens at $1/M plus 1000 output tokens at $2/M.
    expect(allowed.body.reservedUsd).toBeCloseTo(0.003, 9);
    const after = await e2e.admin('GET', `/keys/${key.id}`);
    expect(after.body.budget).toMatchObject({ spentUsd: 0, reservedUsd: 0, remainingUsd: 2 });
    expect(after.body.rateLimitState.requestsPerMinute).toMatchObject({ used: 0 });
  });

  it("shows a served call's cost as spend in the current period, and what remains", async () => {
    const reply = await new OpenAI({ apiKey: key.key, baseURL: gateway, maxRetries: 0 }).chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(reply.choices).toHaveLength(1);
    const budget = await waitFor(
      async () => {
        const { body } = await e2e.admin('GET', `/keys/${key.id}`);
        return body.budget.spentUsd > 0 && body.budget.reservedUsd === 0 && body.budget;
      },
      { timeoutMs: 10_000, description: 'the call to be settled in the budget' },
    );
    expect(budget.remainingUsd).toBeCloseTo(2 - budget.spentUsd, 9);
  });

  it('answers 404 for an unknown key on both endpoints, and documents them', async () => {
    expect(await e2e.admin('GET', '/keys/key_missing/effective-policy')).toMatchObject({
      status: 404,
      body: { error: { code: 'KEY.NOT_FOUND' } },
    });
    expect(await e2e.admin('POST', '/keys/key_missing/simulate', { model: 'gpt-test' })).toMatchObject({
      status: 404,
      body: { error: { code: 'KEY.NOT_FOUND' } },
    });
    const { paths } = (await e2e.admin('GET', '/openapi.json')).body;
    expect(paths['/admin/v1/keys/{id}/effective-policy']).toHaveProperty('get');
    expect(
      paths['/admin/v1/keys/{id}/simulate'].post.requestBody.content['application/json'].schema.properties,
    ).toHaveProperty('maxTokens');
  });
});
