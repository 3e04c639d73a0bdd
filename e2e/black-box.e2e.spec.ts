import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { waitFor } from '@sluice/testing';
import { startBlackBoxTarget, type BlackBoxTarget, type InvoiceSummary } from './support/black-box-target';

jest.setTimeout(120_000);

const PROVIDER_SECRET = `sk-upstream-black-box-${randomBytes(12).toString('hex')}`;
// Unique per run: the compose stack may be reused by a second run of this file.
const SUFFIX = randomBytes(4).toString('hex');
const MODEL = `bb-gpt-${SUFFIX}`;
const [INPUT_USD_PER_MTOK, OUTPUT_USD_PER_MTOK] = [2, 8];

/**
 * Only what a user has: the gateway and admin URLs, the admin token and an upstream. Runs against
 * `npm start` under `npm test` and against the compose stack under `npm run test:compose`.
 */
describe('Sluice from outside: a billed call through the openai SDK, a revocation, the audit export', () => {
  let target: BlackBoxTarget;
  let virtualKey: string;
  let keyId: string;

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${target.adminUrl}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${target.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('application/json') ? JSON.parse(text) : null;
    return { status: res.status, body: json, text, contentType: res.headers.get('content-type') };
  };
  const client = () => new OpenAI({ apiKey: virtualKey, baseURL: target.gatewayUrl, maxRetries: 0 });

  beforeAll(async () => {
    target = await startBlackBoxTarget();
    const provider = await admin('POST', '/providers', {
      name: `black-box-${SUFFIX}`,
      type: 'openai-compatible',
      apiKey: PROVIDER_SECRET,
      baseUrl: target.upstreamUrl,
    });
    expect(provider.status).toBe(201);
    const model = await admin('POST', '/models', {
      name: MODEL,
      providerId: provider.body.id,
      upstreamModel: 'mock-gpt',
      inputUsdPerMTok: INPUT_USD_PER_MTOK,
      outputUsdPerMTok: OUTPUT_USD_PER_MTOK,
    });
    expect(model.status).toBe(201);
    const key = await admin('POST', '/keys', { name: `black-box-${SUFFIX}`, models: [MODEL] });
    expect(key.status).toBe(201);
    virtualKey = key.body.key;
    keyId = key.body.id;
  });

  afterAll(async () => {
    await target?.stop();
  });

  it('charges the key exactly what the upstream billed for a call and a streamed call, with the real provider key upstream', async () => {
    const before = await target.invoice();
    const completion = await client().chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hello from outside' }],
    });
    expect(completion.choices[0].message.content).toBeTruthy();
    const stream = await client().chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Stream it' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(0);

    const after = await target.invoice();
    const billed: InvoiceSummary = {
      calls: after.calls - before.calls,
      promptTokens: after.promptTokens - before.promptTokens,
      completionTokens: after.completionTokens - before.completionTokens,
      lastAuthorization: after.lastAuthorization,
    };
    expect(billed).toMatchObject({ calls: 2, lastAuthorization: `Bearer ${PROVIDER_SECRET}` });
    const key = await waitFor(
      async () => {
        const { body } = await admin('GET', `/keys/${keyId}`);
        return body.usage.requests >= 2 && body;
      },
      { timeoutMs: 15_000, intervalMs: 100, description: 'both calls to be metered' },
    );
    expect(key.usage).toMatchObject({
      requests: 2,
      inputTokens: billed.promptTokens,
      outputTokens: billed.completionTokens,
    });
    expect(key.usage.spendUsd).toBeCloseTo(
      (billed.promptTokens * INPUT_USD_PER_MTOK + billed.completionTokens * OUTPUT_USD_PER_MTOK) / 1e6,
      9,
    );
  });

  it("gives the console the gateway's address as clients reach it", async () => {
    const { body } = await admin('GET', '/gateway');
    expect(body.baseUrl).toBe(target.gatewayUrl);
  });

  it('refuses the key on the next call once the admin API has revoked it', async () => {
    const revoked = await admin('DELETE', `/keys/${keyId}`);
    expect(revoked.body.status).toBe('revoked');
    await expect(
      client().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'still there?' }] }),
    ).rejects.toMatchObject({
      status: 401,
      code: 'invalid_api_key',
    });
  });

  it("exports the key's history, creation to revocation, as NDJSON and CSV without a secret, and the chain verifies", async () => {
    const ndjson = await waitFor(
      async () => {
        const r = await admin('GET', `/audit/export?format=ndjson&keyId=${keyId}`);
        return r.status === 200 && r.text.includes('"KeyRevoked"') && r;
      },
      { timeoutMs: 15_000, description: 'the revocation to be sealed into the audit trail' },
    );
    expect(ndjson.contentType).toContain('application/x-ndjson');
    const events = ndjson.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.map((e) => [e.streamId, e.type, e.metadata.actor])).toEqual([
      [`key-${keyId}`, 'KeyCreated', 'env-owner'],
      [`key-${keyId}`, 'KeyRevoked', 'env-owner'],
    ]);
    const csv = await admin('GET', `/audit/export?format=csv&keyId=${keyId}`);
    expect(csv.contentType).toContain('text/csv');
    expect(csv.text.trim().split('\n')).toHaveLength(1 + events.length);
    for (const secret of [virtualKey, PROVIDER_SECRET, target.adminToken]) {
      expect(ndjson.text).not.toContain(secret);
      expect(csv.text).not.toContain(secret);
    }
    expect((await admin('GET', '/audit/verify')).body).toMatchObject({ ok: true, firstBreak: null });
  });
});
