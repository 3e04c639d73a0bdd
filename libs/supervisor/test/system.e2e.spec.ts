import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '@sluice/db';
import { startMockUpstream } from '@sluice/mock-llm';
import { freePort, startTestNats, waitFor } from '@sluice/testing';
import { startSystem, type RunningSystem } from '../src/system';

jest.setTimeout(120_000);

const PROVIDER_SECRET = 'sk-upstream-real-secret-0123456789abcdef';

describe('the walking skeleton, end to end (real NATS, Postgres, five service processes, openai SDK)', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let database: TestDatabase;
  let upstream: Awaited<ReturnType<typeof startMockUpstream>>;
  let system: RunningSystem;
  let dataDir: string;
  const output: string[] = [];
  let virtualKey: string;
  let keyId: string;

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${system.adminUrl}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${system.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as any) };
  };

  beforeAll(async () => {
    [nats, database, upstream] = await Promise.all([startTestNats(), createTestDatabase({ migrate: false }), startMockUpstream()]);
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
    const [gatewayPort, adminPort, kr, policy, metering] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    system = await startSystem({
      rootDir: resolve(__dirname, '..', '..', '..'),
      dataDir,
      natsUrl: nats.url,
      databaseUrl: database.url,
      gatewayPort,
      adminPort,
      internalPorts: { 'key-registry': kr, policy, metering },
      env: { SLUICE_METERING_ACK_WAIT_MS: '1000', LOG_LEVEL: 'debug' },
      output: (service, line) => output.push(`${service} ${line}`),
    });

    const provider = await admin('POST', '/providers', { name: 'local-upstream', type: 'openai-compatible', apiKey: PROVIDER_SECRET, baseUrl: upstream.url });
    expect(provider.status).toBe(201);
    expect(JSON.stringify(provider.body)).not.toContain(PROVIDER_SECRET);
    const model = await admin('POST', '/models', {
      name: 'gpt-test',
      providerId: provider.body.id,
      upstreamModel: 'upstream-gpt',
      inputUsdPerMTok: 2,
      outputUsdPerMTok: 8,
    });
    expect(model.status).toBe(201);
    const key = await admin('POST', '/keys', { name: 'e2e-app', models: ['gpt-*'] });
    expect(key.status).toBe(201);
    virtualKey = key.body.key;
    keyId = key.body.id;
  });

  afterAll(async () => {
    await system?.stop();
    await Promise.all([nats?.stop(), upstream?.close(), database?.drop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const client = () => new OpenAI({ apiKey: virtualKey, baseURL: system.gatewayUrl, maxRetries: 0 });

  it('serves a non-streamed and a streamed call through the openai SDK and records both in the key spend', async () => {
    const completion = await client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'Hello there' }] });
    expect(completion.choices[0].message.content).toBeTruthy();
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    expect(upstream.invoice.lastAuthorization).toBe(`Bearer ${PROVIDER_SECRET}`);

    const stream = await client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'Stream please' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(0);

    const key = await waitFor(
      async () => {
        const { body } = await admin('GET', `/keys/${keyId}`);
        return body.usage.requests >= 2 ? body : null;
      },
      { timeoutMs: 1000, intervalMs: 25 },
    );
    expect(key.usage.requests).toBe(2);
    expect(key.usage.inputTokens).toBe(upstream.invoice.promptTokens);
    expect(key.usage.outputTokens).toBe(upstream.invoice.completionTokens);
    expect(key.usage.spendUsd).toBeCloseTo((upstream.invoice.promptTokens * 2 + upstream.invoice.completionTokens * 8) / 1e6, 9);
  });

  it('answers OpenAI-shaped errors: unknown model, model outside the key, bad body, bad key', async () => {
    await expect(client().chat.completions.create({ model: 'nope-model', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    await expect(client().chat.completions.create({ model: 'gpt-test', messages: 'not an array' as never })).rejects.toMatchObject({ status: 400 });
    const wrong = new OpenAI({ apiKey: 'sk-sluice-not-a-real-key', baseURL: system.gatewayUrl, maxRetries: 0 });
    await expect(wrong.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 401,
      code: 'invalid_api_key',
    });
  });

  it('answers admin errors in its documented shape', async () => {
    const raw = (init: RequestInit & { token?: string }) =>
      fetch(`${system.adminUrl}/admin/v1/keys`, {
        ...init,
        headers: { 'content-type': 'application/json', ...(init.token === undefined ? { authorization: `Bearer ${system.adminToken}` } : { authorization: `Bearer ${init.token}` }) },
      });
    const badJson = await raw({ method: 'POST', body: '{not json' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    const unknownField = await admin('POST', '/keys', { name: 'x', budget: { maxUsd: 1, rollover: true } });
    expect(unknownField).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    const duplicate = await admin('POST', '/keys', { name: 'e2e-app' });
    expect(duplicate).toMatchObject({ status: 409, body: { error: { code: 'KEY.NAME_TAKEN' } } });
    const wrongToken = await raw({ method: 'GET', token: 'not-the-token' });
    expect(wrongToken.status).toBe(401);
    expect(await wrongToken.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect(await admin('GET', '/keys/key_missing')).toMatchObject({ status: 404, body: { error: { code: 'KEY.NOT_FOUND' } } });
  });

  it('loses no usage when metering is killed with SIGKILL during calls', async () => {
    const before = (await admin('GET', `/keys/${keyId}`)).body.usage.requests;
    const metering = system.services.get('metering')!;
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      if (i === 10) metering.kill();
      calls.push(client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: `call ${i}` }] }));
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(calls);
    expect(metering.restarts).toBeGreaterThanOrEqual(1);
    const key = await waitFor(
      async () => {
        const { body } = await admin('GET', `/keys/${keyId}`);
        return body.usage.requests >= before + 30 ? body : null;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(key.usage.requests).toBe(before + 30);
    const { rows } = await sql<{ n: string }>`select count(*) as n from usage_records where key_id = ${keyId}`.execute(database.db);
    expect(Number(rows[0].n)).toBe(before + 30);
  });

  it('refuses a revoked key on the very next call (the admin API answers once policy enforces it)', async () => {
    const revoked = await admin('DELETE', `/keys/${keyId}`);
    expect(revoked.body.status).toBe('revoked');
    await expect(client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 401,
      code: 'invalid_api_key',
    });
  });

  it('never writes a secret into logs, events or the read models', async () => {
    const secrets = [virtualKey, system.adminToken, PROVIDER_SECRET];
    const logs = output.join('\n');
    for (const secret of secrets) expect(logs).not.toContain(secret);
    const { rows } = await sql<{ dump: string }>`select string_agg(data::text || metadata::text, '') as dump from events`.execute(database.db);
    const { rows: views } = await sql<{ dump: string }>`select string_agg(k::text, '') as dump from keys_view k`.execute(database.db);
    for (const secret of secrets) {
      expect(rows[0].dump).not.toContain(secret);
      expect(views[0].dump).not.toContain(secret);
    }
  });
});
