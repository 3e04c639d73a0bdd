import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { sql } from 'kysely';
import { Subjects } from '@sluice/contracts';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, request } from '@sluice/messaging';
import { startMockUpstream } from '@sluice/mock-llm';
import { SERVICE_NAMES, startSystem, type RunningSystem } from '@sluice/supervisor';
import { freePort, startTestNats, waitFor, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { HELD_SECRETS } from './support/held-secrets';

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
    [nats, database, upstream] = await Promise.all([
      startTestNats(),
      createTestDatabase({ migrate: false }),
      startMockUpstream(),
    ]);
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
    const [gatewayPort, adminPort, kr, policy, metering] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    system = await startSystem({
      rootDir: resolve(__dirname, '..'),
      dataDir,
      natsUrl: nats.url,
      databaseUrl: database.url,
      gatewayPort,
      adminPort,
      internalPorts: { 'key-registry': kr, policy, metering },
      metricsPorts: Object.fromEntries(
        await Promise.all(SERVICE_NAMES.map(async (s) => [s, await freePort()] as const)),
      ),
      env: { SLUICE_METERING_ACK_WAIT_MS: '1000', LOG_LEVEL: 'debug' },
      output: (service, line) => output.push(`${service} ${line}`),
    });

    const provider = await admin('POST', '/providers', {
      name: 'local-upstream',
      type: 'openai-compatible',
      apiKey: PROVIDER_SECRET,
      baseUrl: upstream.url,
    });
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
    const completion = await client().chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Hello there' }],
    });
    expect(completion.choices[0].message.content).toBeTruthy();
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    expect(upstream.invoice.lastAuthorization).toBe(`Bearer ${PROVIDER_SECRET}`);

    const stream = await client().chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Stream please' }],
      stream: true,
    });
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
    expect(key.usage.spendUsd).toBeCloseTo(
      (upstream.invoice.promptTokens * 2 + upstream.invoice.completionTokens * 8) / 1e6,
      9,
    );
  });

  it('answers OpenAI-shaped errors: unknown model, model outside the key, bad body, bad key', async () => {
    await expect(
      client().chat.completions.create({ model: 'nope-model', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    await expect(
      client().chat.completions.create({ model: 'gpt-test', messages: 'not an array' as never }),
    ).rejects.toMatchObject({ status: 400 });
    const wrong = new OpenAI({ apiKey: 'sk-sluice-not-a-real-key', baseURL: system.gatewayUrl, maxRetries: 0 });
    await expect(
      wrong.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({
      status: 401,
      code: 'invalid_api_key',
    });
  });

  it('answers admin errors in its documented shape', async () => {
    const raw = (init: RequestInit & { token?: string }) =>
      fetch(`${system.adminUrl}/admin/v1/keys`, {
        ...init,
        headers: {
          'content-type': 'application/json',
          ...(init.token === undefined
            ? { authorization: `Bearer ${system.adminToken}` }
            : { authorization: `Bearer ${init.token}` }),
        },
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
    expect(await admin('GET', '/keys/key_missing')).toMatchObject({
      status: 404,
      body: { error: { code: 'KEY.NOT_FOUND' } },
    });
  });

  it('loses no usage when metering is killed with SIGKILL during calls', async () => {
    const before = (await admin('GET', `/keys/${keyId}`)).body.usage.requests;
    const metering = system.services.get('metering')!;
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      if (i === 10) metering.kill();
      calls.push(
        client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: `call ${i}` }] }),
      );
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
    const { rows } = await sql<{ n: string }>`select count(*) as n from usage_records where key_id = ${keyId}`.execute(
      database.db,
    );
    expect(Number(rows[0].n)).toBe(before + 30);
  });

  it('refuses a revoked key on the very next call (the admin API answers once policy enforces it)', async () => {
    const revoked = await admin('DELETE', `/keys/${keyId}`);
    expect(revoked.body.status).toBe('revoked');
    await expect(
      client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({
      status: 401,
      code: 'invalid_api_key',
    });
  });

  it('gives each service process only the secrets it reads, and the internet-facing gateway none', () => {
    const secrets: Record<string, string> = {
      DATABASE_URL: database.url,
      SLUICE_ADMIN_TOKEN: system.adminToken,
      SLUICE_MASTER_KEY: readFileSync(join(dataDir, 'master.key'), 'utf8').trim(),
      SLUICE_WEBHOOK_SECRET: readFileSync(join(dataDir, 'webhook-secret'), 'utf8').trim(),
    };
    const held: Record<string, string[]> = {};
    for (const [name, service] of system.services) {
      // What the running process really holds, as another process of its user could read it.
      const environ = readFileSync(`/proc/${service.pid}/environ`, 'utf8').split('\0');
      held[name] = Object.entries(secrets)
        .filter(([variable, value]) =>
          environ.some((entry) => entry.startsWith(`${variable}=`) || entry.includes(value)),
        )
        .map(([variable]) => variable);
      if (name === 'gateway') expect(environ.filter((entry) => /postgres(ql)?:\/\//.test(entry))).toEqual([]);
    }
    expect(held).toEqual(HELD_SECRETS);
  });

  /** A webhook receiver on loopback, recording each delivery as it came. */
  const startHook = async () => {
    const received: { raw: string; signature?: string; timestamp?: string }[] = [];
    const hook = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        received.push({
          raw,
          signature: req.headers['x-sluice-signature'] as string | undefined,
          timestamp: req.headers['x-sluice-timestamp'] as string | undefined,
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const nc = await connectNats(nats.url, 'system-e2e-webhooks');
    return {
      received,
      url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
      /** What policy reports when a key's spend crosses a threshold. */
      threshold: (key: { id: string; budget: { periodStart: string } }) =>
        request(nc, Subjects.rpc.keyRegistry('record-budget-threshold'), {
          keyId: key.id,
          thresholdPercent: 50,
          periodStart: key.budget.periodStart,
          spentUsd: 5,
          maxUsd: 10,
        }),
      pending: async () =>
        (await jetstreamManager(nc).then((jsm) => jsm.consumers.info('SLUICE_EVENTS', 'key-registry-budget-webhooks')))
          .num_pending,
      close: async () => {
        await nc.close();
        await new Promise((resolve) => hook.close(resolve));
      },
    };
  };
  const signedWith = (secret: string, delivery: { raw: string; timestamp?: string }) =>
    `sha256=${createHmac('sha256', secret).update(`${delivery.timestamp}.${delivery.raw}`).digest('hex')}`;

  it('signs budget webhooks with a secret it generated and keeps in the data folder, though none was configured', async () => {
    expect(process.env.SLUICE_WEBHOOK_SECRET).toBeUndefined();
    const file = join(dataDir, 'webhook-secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = readFileSync(file, 'utf8').trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const hook = await startHook();
    try {
      const created = await admin('POST', '/keys', {
        name: 'webhook-signed',
        budget: { maxUsd: 10, webhookUrl: hook.url },
      });
      expect(created.status).toBe(201);
      await hook.threshold(created.body);
      const [delivery] = await waitFor(() => hook.received.length > 0 && hook.received, {
        timeoutMs: 10_000,
        description: 'the webhook delivery',
      });
      expect(JSON.parse(delivery.raw)).toMatchObject({ type: 'KeyBudgetThresholdReached', keyId: created.body.id });
      expect(delivery.signature).toBe(signedWith(secret, delivery));
      expect(output.join('\n')).not.toContain(secret);
    } finally {
      await hook.close();
    }
  });

  it('sends nothing unsigned: a key-registry without a secret keeps the notifications, one with it delivers them signed', async () => {
    const secret = readFileSync(join(dataDir, 'webhook-secret'), 'utf8').trim();
    const keyRegistry = system.services.get('key-registry')!;
    const hook = await startHook();
    try {
      await keyRegistry.restart({ SLUICE_WEBHOOK_SECRET: '' });
      expect(output.join('\n')).toContain('SLUICE_WEBHOOK_SECRET is not set: budget webhooks are not sent');
      const created = await admin('POST', '/keys', {
        name: 'webhook-held',
        budget: { maxUsd: 10, webhookUrl: hook.url },
      });
      await hook.threshold(created.body);
      // The notification is in JetStream, waiting on the notifier's consumer, and nobody sent it.
      await waitFor(async () => (await hook.pending()) > 0, {
        timeoutMs: 10_000,
        description: 'the notification to wait in JetStream',
      });
      expect(hook.received).toEqual([]);

      await keyRegistry.restart({ SLUICE_WEBHOOK_SECRET: secret });
      const [delivery] = await waitFor(() => hook.received.length > 0 && hook.received, {
        timeoutMs: 10_000,
        description: 'the held delivery',
      });
      expect(JSON.parse(delivery.raw)).toMatchObject({ type: 'KeyBudgetThresholdReached', keyId: created.body.id });
      expect(delivery.signature).toBe(signedWith(secret, delivery));
    } finally {
      await hook.close();
    }
  });

  it('never writes a secret into logs, events or the read models', async () => {
    const secrets = [virtualKey, system.adminToken, PROVIDER_SECRET];
    const logs = output.join('\n');
    for (const secret of secrets) expect(logs).not.toContain(secret);
    const { rows } = await sql<{
      dump: string;
    }>`select string_agg(data::text || metadata::text, '') as dump from events`.execute(database.db);
    const { rows: views } = await sql<{
      dump: string;
    }>`select string_agg(k::text, '') as dump from keys_view k`.execute(database.db);
    for (const secret of secrets) {
      expect(rows[0].dump).not.toContain(secret);
      expect(views[0].dump).not.toContain(secret);
    }
  });
});
