import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { partitionOf } from '@sluice/contracts';
import { startSystem, type RunningSystem } from '@sluice/supervisor';
import { freePort, waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(180_000);

const PARTITIONS = { SLUICE_POLICY_PARTITIONS: '2' };

/**
 * Policy scaled out to two partitions, two gateways: each key's counters live in exactly one
 * policy process, whichever gateway and whichever process a call reaches first, and losing one
 * partition stops only its own keys (fail closed), not the other's.
 */
describe('policy partitioned across two processes (real NATS, Postgres, supervised processes)', () => {
  let e2e: E2eSystem;
  let second: RunningSystem;
  let secondDir: string;
  let gateways: string[];
  const keys: { id: string; key: string; partition: number }[] = [];

  const call = async (gateway: string, key: string) => {
    const res = await fetch(`${gateway}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    return {
      status: res.status,
      body: (await res.json()) as any,
      remaining: res.headers.get('x-ratelimit-remaining-requests'),
    };
  };

  beforeAll(async () => {
    e2e = await startE2eSystem({ env: { ...PARTITIONS, SLUICE_POLICY_PARTITION: '0' } });
    secondDir = mkdtempSync(join(tmpdir(), 'sluice-e2e-policy-'));
    second = await startSystem({
      rootDir: resolve(__dirname, '..'),
      dataDir: secondDir,
      natsUrl: e2e.nats.url,
      databaseUrl: e2e.database.url,
      services: ['policy'],
      internalPorts: { policy: await freePort() },
      metricsPorts: { policy: await freePort() },
      adminToken: e2e.system.adminToken,
      env: { ...PARTITIONS, SLUICE_POLICY_PARTITION: '1' },
      output: (service, line) => e2e.output.push(`${service}-p1 ${line}`),
    });
    gateways = [e2e.system.gatewayUrl.replace('localhost', '127.0.0.1'), (await e2e.startGateway()).url];
    const provider = await e2e.admin('POST', '/providers', {
      name: 'partitions-upstream',
      type: 'openai-compatible',
      apiKey: 'sk-upstream-partitions-0123',
      baseUrl: e2e.upstream.url,
    });
    expect(
      (
        await e2e.admin('POST', '/models', {
          name: 'fast',
          providerId: provider.body.id,
          upstreamModel: 'mock-gpt',
          inputUsdPerMTok: 1,
          outputUsdPerMTok: 2,
        })
      ).status,
    ).toBe(201);
    // Keys until each partition owns two.
    for (
      let i = 0;
      keys.filter((k) => k.partition === 0).length < 2 || keys.filter((k) => k.partition === 1).length < 2;
      i++
    ) {
      const created = await e2e.admin('POST', '/keys', {
        name: `partitioned-${i}`,
        rateLimits: { requestsPerMinute: 10 },
        budget: { maxUsd: 5 },
      });
      expect(created.status).toBe(201);
      keys.push({ id: created.body.id, key: created.body.key, partition: partitionOf(created.body.id, 2) });
    }
  });
  afterAll(async () => {
    await second?.stop();
    await e2e?.stop();
    rmSync(secondDir, { recursive: true, force: true });
  });

  it('counts each key in one place: exactly its limit is admitted across both gateways, in either partition', async () => {
    for (const k of keys) {
      const results = await Promise.all(Array.from({ length: 16 }, (_, i) => call(gateways[i % 2], k.key)));
      expect(results.filter((r) => r.status === 200)).toHaveLength(10);
      expect(results.filter((r) => r.status === 429).every((r) => r.body.error.code === 'rate_limit_exceeded')).toBe(
        true,
      );
    }
  });

  it('shows every key’s live state and explanation through the admin API, whichever partition owns it', async () => {
    for (const k of keys) {
      const key = await e2e.admin('GET', `/keys/${k.id}`);
      expect(key.body.rateLimitState.requestsPerMinute).toMatchObject({ limit: 10, used: 10 });
      expect(key.body.budget.spentUsd).toBeGreaterThan(0);
      const explained = await e2e.admin('GET', `/keys/${k.id}/effective-policy`);
      expect(explained.status).toBe(200);
      expect(explained.body.rules.find((r: { rule: string }) => r.rule === 'requestsPerMinute').state).toMatchObject({
        used: 10,
      });
    }
    const page = await e2e.admin('GET', '/keys?limit=100');
    const listed = page.body.data.filter((k: { name: string }) => k.name.startsWith('partitioned-'));
    expect(
      listed.every(
        (k: { rateLimitState?: { requestsPerMinute?: { used: number } } }) =>
          k.rateLimitState?.requestsPerMinute?.used === 10,
      ),
    ).toBe(true);
  });

  it('puts an admin change in force on every partition before answering', async () => {
    for (const k of keys) {
      expect((await e2e.admin('POST', `/keys/${k.id}/disable`)).status).toBe(200);
      for (const gateway of gateways) expect((await call(gateway, k.key)).body.error.code).toBe('key_disabled');
      expect((await e2e.admin('POST', `/keys/${k.id}/enable`)).status).toBe(200);
    }
  });

  it('fails closed for the keys of a partition that is down, and only for those', async () => {
    const fresh = new Map<number, string>();
    for (let i = 0; fresh.size < 2; i++) {
      const created = await e2e.admin('POST', '/keys', {
        name: `partitioned-fresh-${i}`,
        rateLimits: { requestsPerMinute: 1000 },
      });
      fresh.set(partitionOf(created.body.id, 2), created.body.key);
    }
    const down = second.services.get('policy')!; // partition 1
    await down.stop();
    try {
      for (const gateway of gateways) {
        expect((await call(gateway, fresh.get(1)!)).status).toBe(503);
        expect((await call(gateway, fresh.get(0)!)).status).toBe(200);
      }
    } finally {
      down.start();
    }
    await waitFor(async () => (await call(gateways[0], fresh.get(1)!)).status === 200, {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    expect((await call(gateways[1], fresh.get(1)!)).remaining).toBe(String(1000 - 2));
  });
});
