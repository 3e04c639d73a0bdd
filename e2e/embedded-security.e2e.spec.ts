import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { Client } from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Subjects } from '@sluice/contracts';
import { connectNats, request, type NatsConnection } from '@sluice/messaging';
import { startMockUpstream, type MockUpstream } from '@sluice/mock-llm';
import { readNatsUsers, SERVICE_NAMES, startSystem, type RunningSystem, type ServiceName } from '@sluice/supervisor';
import { freePort, parsePrometheusText, waitFor } from '@sluice/testing';

jest.setTimeout(240_000);

const PROVIDER_SECRET = 'sk-upstream-embedded-secret-0123456789';

/**
 * The system as `npm start` runs it: no NATS_URL, no DATABASE_URL, so the embedded NATS and
 * Postgres, each reachable by anyone on this machine's loopback.
 */
describe("npm start's embedded servers, seen by another user of the machine", () => {
  let dataDir: string;
  let upstream: MockUpstream;
  let system: RunningSystem;
  const output: string[] = [];
  const connections: NatsConnection[] = [];

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${system.adminUrl}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${system.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const passwordOf = (service: ServiceName) => readNatsUsers(dataDir)!.passwords[service];
  /** A NATS connection as one of the services, with that service's user. */
  const connectAs = async (service: ServiceName) => {
    const nc = await connectNats(system.natsUrl, service, { NATS_USER: service, NATS_PASSWORD: passwordOf(service) });
    connections.push(nc);
    return nc;
  };
  const natsLog = () => readFileSync(join(dataDir, 'nats-server.log'), 'utf8');

  beforeAll(async () => {
    // A 0700 folder, as a user's own would be: the system makes it reachable for the postgres user itself as root.
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-embedded-security-'));
    upstream = await startMockUpstream();
    const [gatewayPort, adminPort, kr, policy, metering] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const metricsPorts = Object.fromEntries(
      await Promise.all(SERVICE_NAMES.map(async (s) => [s, await freePort()] as const)),
    );
    system = await startSystem({
      rootDir: resolve(__dirname, '..'),
      dataDir,
      gatewayPort,
      adminPort,
      internalPorts: { 'key-registry': kr, policy, metering },
      metricsPorts,
      output: (service, line) => output.push(`${service} ${line}`),
    });
  });

  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
    await system?.stop();
    await upstream?.close();
    const relocated = join(dataDir, 'postgres.location');
    if (existsSync(relocated))
      rmSync(readFileSync(relocated, 'utf8').split('\n')[0].trim(), { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a NATS client without a user, or with a wrong password', async () => {
    await expect(connect({ servers: system.natsUrl, timeout: 2000, reconnect: false })).rejects.toThrow(
      /Authorization Violation/,
    );
    await expect(
      connect({ servers: system.natsUrl, user: 'gateway', pass: 'not-the-password', timeout: 2000, reconnect: false }),
    ).rejects.toThrow(/Authorization Violation/);
  });

  it('runs every service as its own NATS user without one permission violation', async () => {
    const provider = await admin('POST', '/providers', {
      name: 'upstream',
      type: 'openai-compatible',
      apiKey: PROVIDER_SECRET,
      baseUrl: upstream.url,
    });
    expect(provider.status).toBe(201);
    expect(
      (
        await admin('POST', '/models', {
          name: 'gpt-test',
          providerId: provider.body.id,
          upstreamModel: 'gpt-test',
          inputUsdPerMTok: 1,
          outputUsdPerMTok: 2,
        })
      ).status,
    ).toBe(201);
    const key = await admin('POST', '/keys', {
      name: 'app',
      budget: { maxUsd: 10 },
      rateLimits: { requestsPerMinute: 100 },
    });
    expect(key.status).toBe(201);
    const client = new OpenAI({ apiKey: key.body.key, baseURL: system.gatewayUrl, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'Hello' }] });
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Stream' }],
      stream: true,
    });
    for await (const _chunk of stream);
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(['gpt-test']);
    // Metering recorded both calls, and policy settled them.
    await waitFor(async () => (await admin('GET', `/keys/${key.body.id}`)).body.usage.requests === 2, {
      timeoutMs: 10_000,
      description: 'two recorded calls',
    });
    expect((await admin('GET', `/keys/${key.body.id}/effective-policy`)).status).toBe(200);
    expect((await admin('POST', `/keys/${key.body.id}/simulate`, { model: 'gpt-test', inputTokens: 10 })).status).toBe(
      200,
    );
    expect((await admin('POST', `/keys/${key.body.id}/regenerate`, { gracePeriodSeconds: 0 })).status).toBeLessThan(
      300,
    );
    expect((await admin('POST', `/keys/${key.body.id}/disable`)).status).toBeLessThan(300);
    expect((await admin('DELETE', `/keys/${key.body.id}`)).status).toBeLessThan(300);
    // admin-api reads metering's consumer for the lag gauges.
    const scrape = parsePrometheusText(await (await fetch(system.metricsUrls['admin-api']!)).text());
    expect(scrape.some((s) => s.name === 'sluice_metering_lag_messages')).toBe(true);
    // A starting policy asks the gateways for their calls in flight and follows both streams again.
    await system.services.get('policy')!.restart();
    const next = await admin('POST', '/keys', { name: 'after-restart' });
    const after = new OpenAI({ apiKey: next.body.key, baseURL: system.gatewayUrl, maxRetries: 0 });
    expect(
      (await after.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'again' }] }))
        .choices,
    ).toHaveLength(1);

    expect(natsLog()).not.toMatch(/Violation/);
  });

  it('hands decrypted provider keys to the gateway only, and lets no other service overhear them', async () => {
    const overheard: string[] = [];
    const eavesdropper = await connectAs('metering');
    for (const subject of ['>', '_INBOX.>', '_INBOX.gateway.>']) {
      eavesdropper.subscribe(subject, { callback: (err, msg) => void (err || overheard.push(msg.string())) });
    }
    await eavesdropper.flush();

    const credentials = await request<unknown[]>(await connectAs('gateway'), Subjects.rpc.credentials, {});
    expect(JSON.stringify(credentials)).toContain(PROVIDER_SECRET);
    for (const service of ['admin-api', 'policy', 'metering', 'key-registry'] as const) {
      await expect(request(await connectAs(service), Subjects.rpc.credentials, {})).rejects.toThrow(
        /Permissions Violation/,
      );
    }
    await eavesdropper.flush();
    expect(overheard.filter((m) => m.includes(PROVIDER_SECRET))).toEqual([]);
  });

  it('lets no service but key-registry write events, and no one but admin-api and policy send it commands', async () => {
    const watcher = await jetstreamManager(await connectAs('policy'));
    const before = (await watcher.streams.info('SLUICE_EVENTS')).state.last_seq;
    const gateway = await connectAs('gateway');
    const forged = { type: 'KeyEnabled', data: { keyId: 'key_forged' } };
    await expect(
      jetstream(gateway).publish(Subjects.event('keys', 'KeyEnabled'), JSON.stringify(forged), { timeout: 2000 }),
    ).rejects.toThrow(/Permissions Violation/);
    await expect(
      request(gateway, Subjects.rpc.keyRegistry('create-key'), { body: { name: 'forged' } }),
    ).rejects.toThrow(/Permissions Violation/);
    await expect(
      request(await connectAs('metering'), Subjects.rpc.keyRegistry('create-key'), { body: { name: 'forged' } }),
    ).rejects.toThrow(/Permissions Violation/);
    expect((await watcher.streams.info('SLUICE_EVENTS')).state.last_seq).toBe(before);
    expect((await admin('GET', '/keys?limit=100')).body.data.map((k: { name: string }) => k.name)).not.toContain(
      'forged',
    );
  });

  it('gives each service only its own NATS password, kept in files only their owner may read', () => {
    for (const file of ['nats-users.json', 'nats-server.conf'])
      expect([file, statSync(join(dataDir, file)).mode & 0o777]).toEqual([file, 0o600]);
    const passwords = readNatsUsers(dataDir)!.passwords;
    for (const [name, service] of system.services) {
      const environ = readFileSync(`/proc/${service.pid}/environ`, 'utf8').split('\0');
      expect(environ).toContain(`NATS_USER=${name}`);
      expect(environ).toContain(`NATS_PASSWORD=${passwords[name]}`);
      const others = SERVICE_NAMES.filter((s) => s !== name).filter((s) =>
        environ.some((entry) => entry.includes(passwords[s])),
      );
      expect([name, others]).toEqual([name, []]);
    }
    expect(output.filter((line) => Object.values(passwords).some((p) => line.includes(p)))).toEqual([]);
  });

  it('refuses a Postgres client without the password; the URL the services use carries it, in files only their owner may read', async () => {
    const url = new URL(system.databaseUrl);
    expect(url.password.length).toBeGreaterThanOrEqual(24);
    const attempt = async (password: string) => {
      const client = new Client({
        host: url.hostname,
        port: Number(url.port),
        user: 'postgres',
        password,
        database: 'postgres',
        connectionTimeoutMillis: 5000,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.query(`select 'in' as result`)).rows[0].result as string;
      } finally {
        await client.end().catch(() => undefined);
      }
    };
    await expect(attempt('')).rejects.toThrow();
    await expect(attempt('postgres')).rejects.toThrow(/password authentication failed/);
    expect(await attempt(url.password)).toBe('in');

    for (const file of ['postgres-password', 'endpoints.json'])
      expect([file, statSync(join(dataDir, file)).mode & 0o777]).toEqual([file, 0o600]);
    expect(JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')).databaseUrl).toBe(system.databaseUrl);
    // Owner only; as root the postgres user may also pass through to its cluster, which stays inside.
    expect(statSync(dataDir).mode & 0o777).toBe(process.getuid?.() === 0 ? 0o710 : 0o700);
    expect(existsSync(join(dataDir, 'postgres.location'))).toBe(false);
  });
});
