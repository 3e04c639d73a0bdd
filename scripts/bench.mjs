// `npm run bench`: the gateway's added latency (p50, p99) and throughput, against calling the
// same mock upstream directly. Everything runs on this machine: the mock upstream in its own
// process, the whole system (embedded NATS and Postgres, five services), and autocannon.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, ensureDependencies, ensureServers, root } from './setup.mjs';

ensureDependencies();
ensureServers();
await build();
const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const { startSystem } = require(join(root, 'libs/supervisor/dist/index.js'));

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rate = Number(process.env.BENCH_RATE ?? 200);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);

const upstreamPort = 18900;
const upstream = spawn(process.execPath, ['-e', `require(${JSON.stringify(join(root, 'libs/mock-llm/dist/index.js'))}).startMockUpstream({ port: ${upstreamPort} }).then(() => console.log('ready'))`], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise((resolve) => upstream.stdout.once('data', resolve));
const upstreamUrl = `http://127.0.0.1:${upstreamPort}/v1`;

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
const system = await startSystem({ rootDir: root, dataDir, gatewayPort: 18980, adminPort: 18981, internalPorts: { 'key-registry': 18991, policy: 18992, metering: 18993 }, env: { LOG_LEVEL: 'warn' }, output: () => {} });
try {
  const admin = async (path, body) => {
    const res = await fetch(`${system.adminUrl}/admin/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${system.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const provider = await admin('/providers', { name: 'bench-upstream', type: 'openai-compatible', apiKey: 'sk-bench-upstream-key', baseUrl: upstreamUrl });
  await admin('/models', { name: 'bench-model', providerId: provider.id, upstreamModel: 'bench-model', inputUsdPerMTok: 1, outputUsdPerMTok: 2 });
  const { key } = await admin('/keys', { name: 'bench' });

  const body = JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: 'Say something short about gateways.' }], max_tokens: 32 });
  const target = (url, token) => ({ url: `${url}/chat/completions`, method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  const direct = target(upstreamUrl, 'sk-bench-upstream-key');
  const viaGateway = target(system.gatewayUrl, key);

  const run = (opts) => autocannon({ ...opts, duration: seconds });
  await run({ ...viaGateway, connections: 8, duration: 3 }); // warm up JIT, pools and caches
  await run({ ...direct, connections: 8, duration: 3 });

  const steadyDirect = await run({ ...direct, connections: 4, overallRate: rate });
  const steadyGateway = await run({ ...viaGateway, connections: 4, overallRate: rate });
  const maxDirect = await run({ ...direct, connections });
  const maxGateway = await run({ ...viaGateway, connections });

  const row = (name, r) => ({ name, 'req/s': Math.round(r.requests.average), p50_ms: r.latency.p50, p99_ms: r.latency.p99, errors: r.errors + r.non2xx });
  console.log(`\nSteady rate ${rate} req/s for ${seconds}s, 4 connections:`);
  console.table([row('direct to mock upstream', steadyDirect), row('through the Sluice gateway', steadyGateway)]);
  console.log(`added latency: p50 ${(steadyGateway.latency.p50 - steadyDirect.latency.p50).toFixed(2)} ms, p99 ${(steadyGateway.latency.p99 - steadyDirect.latency.p99).toFixed(2)} ms`);
  console.log(`\nMaximum throughput, ${connections} connections for ${seconds}s:`);
  console.table([row('direct to mock upstream', maxDirect), row('through the Sluice gateway', maxGateway)]);
} finally {
  await system.stop();
  upstream.kill();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
