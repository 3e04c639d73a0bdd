// `npm run bench:propagation`: how long after the admin API answers a revocation (or a disable)
// the key is refused, on two gateway processes at once. Each round creates a key, waits until
// both gateways serve it, changes it through the admin API, then calls both gateways back to back
// until each refuses; the figure per gateway is from the admin response to the refused response.
// A plain NATS subscriber on the key events shows how much of it is the trip to JetStream.
// BENCH_ROUNDS (default 50) rounds; revocations and disables alternate when disable exists;
// BENCH_LOAD (default 4) background callers per gateway keep the system, and metering, busy.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build, ensureDependencies, ensureServers, root, tempDataDir } from './setup.mjs';

ensureDependencies();
ensureServers();
await build();
const require = createRequire(import.meta.url);
const { startSystem, readNatsUsers } = require(join(root, 'apps/supervisor/dist/index.js'));
const { connect } = require('@nats-io/transport-node');

const rounds = Number(process.env.BENCH_ROUNDS ?? 50);
const env = { LOG_LEVEL: 'warn', NODE_OPTIONS: `--import ${join(root, 'scripts/bench/loopback.mjs')}` };
const dataDir = tempDataDir('sluice-bench-prop-');
const secondDir = tempDataDir('sluice-bench-prop-gw-');
const system = await startSystem({
  rootDir: root,
  dataDir,
  gatewayPort: 18980,
  adminPort: 18981,
  internalPorts: { 'key-registry': 18991, policy: 18992, metering: 18993 },
  env,
  output: (service, line) =>
    line.includes('"level":50') || line.includes('"level":60') ? console.error(service, line) : undefined,
});
// The embedded NATS takes each service's own user: the second gateway gets the gateway's.
const natsPasswords = readNatsUsers(dataDir).passwords;
let second;
let nc;
try {
  const gatewayUser = { NATS_USER: 'gateway', NATS_PASSWORD: natsPasswords.gateway };
  second = await startSystem({
    rootDir: root,
    dataDir: secondDir,
    natsUrl: system.natsUrl,
    databaseUrl: system.databaseUrl,
    services: ['gateway'],
    gatewayPort: 18990,
    adminToken: system.adminToken,
    env: { ...env, ...gatewayUser },
    output: () => {},
  });
  const gateways = [system.gatewayUrl, second.gatewayUrl].map((url) => url.replace('localhost', '127.0.0.1'));
  const admin = async (method, path, body) => {
    const res = await fetch(`${system.adminUrl.replace('localhost', '127.0.0.1')}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${system.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const provider = (await admin('POST', '/providers', { name: 'bench-mock', type: 'mock' })).body;
  await admin('POST', '/models', {
    name: 'bench-model',
    providerId: provider.id,
    upstreamModel: 'bench-model',
    inputUsdPerMTok: 1,
    outputUsdPerMTok: 2,
  });
  const loadKey = (await admin('POST', '/keys', { name: `bench-load-${Date.now()}` })).body.key;
  const body = JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
  const callMs = [];
  const call = async (gateway, key) => {
    const started = performance.now();
    const res = await fetch(`${gateway}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body,
    });
    await res.arrayBuffer();
    if (key !== loadKey) callMs.push(performance.now() - started);
    return res.status;
  };

  // When each key event crossed NATS, seen by a plain subscriber (JetStream publishes are NATS
  // messages) with policy's user, which may read every event.
  nc = await connect({ servers: system.natsUrl, user: 'policy', pass: natsPasswords.policy });
  const seenOnNats = new Map();
  nc.subscribe('sluice.evt.keys.>', {
    callback: (_err, msg) => {
      const event = msg.json();
      seenOnNats.set(`${event.type}:${event.data.keyId}`, performance.now());
    },
  });

  // Background calls keep metering writing usage while we measure (BENCH_LOAD callers per gateway).
  const load = Number(process.env.BENCH_LOAD ?? 4);
  let loading = true;
  const background = gateways.flatMap((gateway) =>
    Array.from({ length: load }, async () => {
      while (loading) await call(gateway, loadKey).catch(() => {});
    }),
  );

  const probe = await admin('POST', '/keys/key_none/disable');
  const canDisable = probe.status === 404 && probe.body?.error?.code === 'KEY.NOT_FOUND';
  const actions = canDisable ? ['revoke', 'disable'] : ['revoke'];
  const results = { revoke: [], disable: [] };
  const onNats = [];

  for (let round = 0; round < rounds; round++) {
    const action = actions[round % actions.length];
    const { id, key } = (await admin('POST', '/keys', { name: `bench-${round}-${Date.now()}` })).body;
    for (const gateway of gateways)
      while ((await call(gateway, key)) !== 200) await new Promise((r) => setTimeout(r, 1));
    const changed =
      action === 'revoke' ? await admin('DELETE', `/keys/${id}`) : await admin('POST', `/keys/${id}/disable`);
    const t0 = performance.now();
    if (changed.status !== 200)
      throw new Error(`${action} answered ${changed.status}: ${JSON.stringify(changed.body)}`);
    const refusedAfter = await Promise.all(
      gateways.map(async (gateway) => {
        for (;;) {
          const status = await call(gateway, key);
          if (status === 401 || status === 403) return performance.now() - t0;
          if (performance.now() - t0 > 10_000)
            throw new Error(`${gateway} still served the key 10 s after the ${action}`);
        }
      }),
    );
    results[action].push(...refusedAfter);
    const natsAt = seenOnNats.get(`${action === 'revoke' ? 'KeyRevoked' : 'KeyDisabled'}:${id}`);
    if (natsAt !== undefined) onNats.push(natsAt - t0);
  }

  loading = false;
  await Promise.all(background);

  const stats = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    return {
      n: sorted.length,
      p50_ms: +at(0.5).toFixed(2),
      p99_ms: +at(0.99).toFixed(2),
      max_ms: +sorted[sorted.length - 1].toFixed(2),
      'over 50 ms': sorted.filter((v) => v > 50).length,
    };
  };
  console.log(
    `\nPropagation over ${rounds} rounds, two gateway processes, ${load} background callers each (admin response → first refused call):`,
  );
  const rows = { 'refused, every gateway': stats([...results.revoke, ...results.disable]) };
  for (const action of actions) rows[`refused after ${action}`] = stats(results[action]);
  if (onNats.length) rows['event on NATS (of the above)'] = stats(onNats);
  rows['one call, same load (baseline)'] = stats(callMs);
  console.table(rows);
  if (!canDisable) console.log('(POST /keys/:id/disable is not available in this build: revocations only)');
} finally {
  await nc?.close();
  await second?.stop();
  await system.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(secondDir, { recursive: true, force: true });
}
process.exit(0);
