// `npm run bench`: the latency Sluice's gateway adds, and its throughput, against calling the same
// mock upstream directly and through the Portkey open-source gateway, side by side on this machine.
//
//   1. steady rates (each of BENCH_RATES req/s for BENCH_SECONDS, open loop, undici keep-alive,
//      in two passes of half that, every target in one order then in the other, the samples pooled;
//      latency in µs from process.hrtime): p50/p90/p99/p99.9/max, non-streaming and streaming
//      (TTFB and time to last byte); "added latency" = gateway minus direct; the CPU each process
//      spent per call (Sluice: the five services, NATS and Postgres; Portkey: its one process);
//   2. maximum throughput: autocannon with BENCH_CONNECTIONS for BENCH_SECONDS, in two passes (every
//      target in one order, then in the other), each target's result the mean of its two; then the
//      resident memory of every process tree;
//   3. a summary against Portkey (the issue #15 table) and Sluice's CPU per call by process.
//
// Beside them, "bare Node proxy" (bench/floor-proxy.mjs): node:http in and out, a key swapped,
// nothing else — the latency and CPU any Node gateway pays on this machine before it does anything.
//
// Phase by phase, each phase run for every target back to back after waiting for a quiet machine
// (this host's speed drifts over minutes: targets compared within a phase see the same machine); the
// CPU used by anything else during a phase is reported ("other CPU"). Results: a table here and
// .bench/results.json.
// Knobs (environment): BENCH_SECONDS (10), BENCH_RATES (100,500; BENCH_RATE=n for one rate), BENCH_CONNECTIONS (64),
// BENCH_WARMUP (3 s), BENCH_QUIET_SECONDS (60: the longest wait for a quiet machine before a phase), BENCH_TARGETS
// (direct,floor,sluice,portkey), BENCH_STREAM (1), BENCH_THROUGHPUT (1),
// BENCH_API (chat: OpenAI's /v1/chat/completions; messages: Anthropic's /v1/messages, natively to an
// anthropic provider on the mock — Portkey is not measured there),
// BENCH_RESPONSES (1: the /v1/responses scenario, see bench/responses.mjs; needs direct and sluice),
// BENCH_SERVICES (the Sluice services to run, default all five), BENCH_KEY_LIMITS (1: the bench
// key has rate limits and a budget that never bind, so each call is counted, reserved and settled),
// BENCH_NODE_OPTIONS (extra node options for the Sluice services), BENCH_NODE_ARGS (node flags NODE_OPTIONS refuses, e.g.
// "--cpu-prof --cpu-prof-dir=/abs/path/.bench/prof": a profile per service when the bench ends).
import { execFileSync, fork } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, ensureDependencies, ensureServers, root } from './setup.mjs';

ensureDependencies();
ensureServers();
await build();

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const { startSystem, SERVICE_NAMES } = require(join(root, 'apps/supervisor/dist/index.js'));
const { connect, paced, closedLoop, probe } = await import('./bench/loadgen.mjs');
const { cpuMeter, memory, waitQuiet } = await import('./bench/cpu.mjs');
const { startPortkey, portkeyHeaders } = await import('./bench/portkey.mjs');
const { steadyTable, throughputTable, addedLine, cpuPerCall, cpuPerCallTable, memoryTable, summaryTable } =
  await import('./bench/report.mjs');
const { seedResponses, benchResponses } = await import('./bench/responses.mjs');
const { round, steadyOfPasses, saturationOfPasses } = await import('./bench/passes.mjs');

const num = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const seconds = num('BENCH_SECONDS', 10);
const rates = (process.env.BENCH_RATES ?? process.env.BENCH_RATE ?? '100,500').split(',').map((r) => Number(r.trim()));
if (rates.some((r) => !Number.isFinite(r) || r <= 0))
  throw new Error('BENCH_RATES must be positive numbers, comma-separated');
const rate = rates[0]; // the Responses scenario's
const connections = Math.round(num('BENCH_CONNECTIONS', 64));
const warmupSeconds = num('BENCH_WARMUP', 3);
const quietMs = num('BENCH_QUIET_SECONDS', 60) * 1000;
const withStream = process.env.BENCH_STREAM !== '0';
const withThroughput = process.env.BENCH_THROUGHPUT !== '0';
const withResponses = process.env.BENCH_RESPONSES !== '0';
const targetNames = (process.env.BENCH_TARGETS ?? 'direct,floor,sluice,portkey')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const api = process.env.BENCH_API ?? 'chat';
if (api !== 'chat' && api !== 'messages') throw new Error('BENCH_API must be chat or messages');
const services = process.env.BENCH_SERVICES
  ? process.env.BENCH_SERVICES.split(',').map((s) => s.trim())
  : [...SERVICE_NAMES];
for (const name of targetNames)
  if (!['direct', 'floor', 'sluice', 'portkey'].includes(name)) throw new Error(`unknown BENCH_TARGETS entry ${name}`);

const outDir = join(root, '.bench');
mkdirSync(outDir, { recursive: true });
const UPSTREAM_KEY = 'sk-bench-upstream-key';
const FLOOR_KEY = 'sk-bench-floor-virtual-key';
/** Every process `npm start` runs: the five services, NATS, Postgres (all its processes). */
const SLUICE_PROCESSES = ['gateway', 'metering', 'nats-server', 'postgres', 'policy', 'key-registry', 'admin-api'];
const LABELS = {
  direct: 'direct to mock',
  floor: 'bare Node proxy',
  sluice: 'Sluice gateway',
  portkey: 'Portkey gateway',
};
/** The targets measured as a gateway in front of the mock: their latency is "added" over direct. */
const GATEWAYS = ['floor', 'sluice', 'portkey'];
const log = (line) => console.log(`bench: ${line}`);

// Everything we start is stopped here, whatever happens.
const cleanups = [];
let cleaning;
const cleanup = () =>
  (cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err) => console.error(`bench: cleanup: ${err.message}`));
  })());
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping everything`);
    cleanup().finally(() => process.exit(130));
  });
}

const freePort = () =>
  new Promise((resolve, reject) => {
    import('node:net').then(({ createServer }) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address();
        server.close(() => resolve(port));
      });
    });
  });

const results = {
  meta: {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    commit: gitCommit(),
  },
  config: {
    api,
    rates,
    seconds,
    warmupSeconds,
    connections,
    stream: withStream,
    throughput: withThroughput,
    responses: withResponses,
    targets: targetNames,
    services,
  },
  targets: {},
  steady: Object.fromEntries(rates.map((r) => [r, { nonStreaming: {}, streaming: {} }])),
  added: Object.fromEntries(rates.map((r) => [r, { nonStreaming: {}, streaming: {} }])),
  memory: {},
  memoryIdle: {},
  throughput: { nonStreaming: {}, streaming: {} },
  upstream: {},
  responses: null,
};

let exitCode = 0;
try {
  // --- the mock upstream, in its own process --------------------------------------------------
  const mock = fork(join(root, 'scripts/bench/mock-upstream.mjs'), [root, String(await freePort()), UPSTREAM_KEY], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const mockExited = new Promise((resolve) => mock.once('exit', resolve));
  cleanups.push(async () => {
    if (mock.connected) mock.disconnect(); // it leaves when its IPC channel closes
    let timer;
    const late = new Promise((resolve) => (timer = setTimeout(resolve, 3000, 'late')));
    if ((await Promise.race([mockExited, late])) === 'late') mock.kill('SIGKILL');
    clearTimeout(timer);
  });
  const upstreamUrl = await new Promise((resolve, reject) => {
    mock.once('message', (m) => resolve(m.url));
    mock.once('exit', (code) => reject(new Error(`mock upstream exited (${code})`)));
  });
  let invoiceSeq = 0;
  const invoice = () =>
    new Promise((resolve) => {
      const id = ++invoiceSeq;
      const onMessage = (m) => {
        if (m?.type === 'invoice' && m.id === id) {
          mock.off('message', onMessage);
          resolve(m.invoice);
        }
      };
      mock.on('message', onMessage);
      mock.send({ type: 'invoice', id });
    });
  log(`mock upstream ${upstreamUrl} (pid ${mock.pid})`);

  const body = {
    model: 'bench-model',
    messages: [{ role: 'user', content: 'Say something short about gateways.' }],
    max_tokens: 32,
  };
  const messagesApi = api === 'messages';
  const targets = {};
  let responsesModels;
  const watch = { bench: process.pid, mock: mock.pid };

  // --- Sluice: the whole system, seeded through the admin API -------------------------------------
  if (targetNames.includes('sluice')) {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
    // As root, Postgres runs as the postgres user: it must reach the folder, or the embedded
    // cluster is relocated under /var/lib/sluice and outlives this run.
    chmodSync(dataDir, 0o755);
    cleanups.push(async () => {
      const relocated = join(dataDir, 'postgres.location');
      if (existsSync(relocated))
        rmSync(readFileSync(relocated, 'utf8').split('\n')[0].trim(), { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    });
    const [gatewayPort, adminPort, krPort, policyPort, meteringPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const nodeOptions = [
      process.env.NODE_OPTIONS,
      `--import=${JSON.stringify(pathToFileURL(join(root, 'scripts/bench/loopback.mjs')).href)}`,
      process.env.BENCH_NODE_OPTIONS,
    ]
      .filter(Boolean)
      .join(' ');
    log(`starting Sluice (${services.join(', ')})…`);
    const system = await startSystem({
      rootDir: root,
      dataDir,
      services,
      gatewayPort,
      adminPort,
      internalPorts: { 'key-registry': krPort, policy: policyPort, metering: meteringPort },
      env: {
        LOG_LEVEL: 'warn',
        SLUICE_GATEWAY_HOST: '127.0.0.1',
        SLUICE_UPSTREAM_ALLOW: '127.0.0.1',
        NODE_OPTIONS: nodeOptions,
        SLUICE_NODE_ARGS: process.env.BENCH_NODE_ARGS ?? '',
      },
      output: (service, line) => {
        if (!cleaning && /"level":(50|60)|error/i.test(line)) console.error(`[${service}] ${line}`); // shutdown noise is not
      },
    });
    cleanups.push(() => system.stop());
    for (const [name, service] of system.services) watch[name] = service.pid;
    const admin = async (path, payload) => {
      const res = await fetch(`http://127.0.0.1:${adminPort}/admin/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${system.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const provider = await admin('/providers', {
      name: 'bench-upstream',
      type: messagesApi ? 'anthropic' : 'openai-compatible',
      apiKey: UPSTREAM_KEY,
      baseUrl: upstreamUrl,
    });
    await admin('/models', {
      name: 'bench-model',
      providerId: provider.id,
      upstreamModel: 'bench-model',
      inputUsdPerMTok: 1,
      outputUsdPerMTok: 2,
    });
    // Limits that never bind, so every call pays for the counting, the reservation and the settlement.
    const limits =
      process.env.BENCH_KEY_LIMITS === '0'
        ? {}
        : {
            rateLimits: {
              requestsPerMinute: 100_000_000,
              requestsPerDay: 1_000_000_000,
              tokensPerMinute: 1_000_000_000,
              maxParallelRequests: 100_000,
            },
            budget: { maxUsd: 1_000_000, period: '30d' },
          };
    const { key } = await admin('/keys', { name: 'bench', ...limits });
    if (withResponses) responsesModels = await seedResponses(admin, upstreamUrl, UPSTREAM_KEY, provider.id);
    targets.sluice = {
      origin: `http://127.0.0.1:${gatewayPort}`,
      headers: messagesApi ? { 'x-api-key': key } : { authorization: `Bearer ${key}` },
      gatewayPid: system.services.get('gateway')?.pid,
    };
    results.targets.sluice = { url: `http://127.0.0.1:${gatewayPort}/v1`, services };
    results.memoryIdle.sluice = memory(process.pid, watch).byName; // started and seeded, no traffic yet
  }

  // --- Portkey: the open-source gateway as a child process -----------------------------------------
  if (targetNames.includes('portkey') && messagesApi) {
    results.targets.portkey = { error: 'not measured on the Messages API' };
  } else if (targetNames.includes('portkey')) {
    try {
      const portkey = await startPortkey({ root, port: await freePort(), logFile: join(outDir, 'portkey.log') });
      cleanups.push(() => portkey.stop());
      watch.portkey = portkey.pid;
      const headers = portkeyHeaders(upstreamUrl, UPSTREAM_KEY);
      targets.portkey = { origin: portkey.url, headers, gatewayPid: portkey.pid };
      results.targets.portkey = {
        url: `${portkey.url}/v1`,
        version: portkey.version,
        headers: { ...headers, authorization: 'Bearer <upstream key>' },
        log: '.bench/portkey.log',
      };
      log(`Portkey gateway ${portkey.version} at ${portkey.url} (pid ${portkey.pid})`);
    } catch (err) {
      results.targets.portkey = { error: err.message };
      console.error(`bench: Portkey could not be started: ${err.message}`);
    }
  }
  if (targetNames.includes('floor')) {
    const floor = fork(join(root, 'scripts/bench/floor-proxy.mjs'), [upstreamUrl, FLOOR_KEY, UPSTREAM_KEY], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const floorExited = new Promise((resolve) => floor.once('exit', resolve));
    cleanups.push(async () => {
      if (floor.connected) floor.disconnect();
      await floorExited;
    });
    const url = await new Promise((resolve, reject) => {
      floor.once('message', (m) => resolve(m.url));
      floor.once('exit', (code) => reject(new Error(`bare Node proxy exited (${code})`)));
    });
    watch.floor = floor.pid;
    targets.floor = {
      origin: url,
      headers: messagesApi ? { 'x-api-key': FLOOR_KEY } : { authorization: `Bearer ${FLOOR_KEY}` },
      gatewayPid: floor.pid,
    };
    results.targets.floor = { url: `${url}/v1`, source: 'scripts/bench/floor-proxy.mjs' };
  }
  if (targetNames.includes('direct')) {
    targets.direct = {
      origin: new URL(upstreamUrl).origin,
      headers: messagesApi ? { 'x-api-key': UPSTREAM_KEY } : { authorization: `Bearer ${UPSTREAM_KEY}` },
      gatewayPid: null,
    };
    results.targets.direct = { url: upstreamUrl };
  }

  // Within the last 32 bytes, which is what the load generator keeps of a reply.
  const STREAM_END = messagesApi ? '{"type":"message_stop"}' : 'data: [DONE]';
  const request = (target, stream) => ({
    path: messagesApi ? '/v1/messages' : '/v1/chat/completions',
    headers: {
      'content-type': 'application/json',
      ...(messagesApi && { 'anthropic-version': '2023-06-01' }),
      ...target.headers,
    },
    body: JSON.stringify(stream ? { ...body, stream: true } : body),
    check: stream
      ? (status, tail) => status === 200 && tail.includes(STREAM_END)
      : (status, tail, bytes) => status === 200 && bytes > 0,
  });
  /** The reply's text and whether a stream ended as its API ends one. */
  const replyText = (text) =>
    messagesApi ? JSON.parse(text).content?.[0]?.text : JSON.parse(text).choices?.[0]?.message?.content;
  const streamEnded = (text) =>
    messagesApi
      ? text.includes('"type":"content_block_delta"') && text.trimEnd().endsWith('data: {"type":"message_stop"}')
      : text.includes('chat.completion.chunk') && text.trimEnd().endsWith('data: [DONE]');

  // Before measuring: a quiet machine, or at least a note that it was not.
  const quiet = async (what) => {
    const q = await waitQuiet({ maxMs: quietMs, watch }); // Sluice's metering may still be catching up on the last phase
    if (!q.quiet) {
      const busiest = Object.entries(q.last.byName)
        .filter(([, c]) => c >= 0.05)
        .map(([n, c]) => `${n} ${c}`)
        .join(', ');
      log(
        `machine not quiet before ${what}: ${q.last.machine} cores busy, ${q.last.other} not ours${busiest ? ` (${busiest})` : ''}`,
      );
    }
    return q;
  };

  // --- phase by phase, every target in turn ------------------------------------------------------
  // This host's speed drifts by tens of percent over minutes: each phase runs for every target back
  // to back, so a comparison within a phase sees one machine, and every phase runs twice, in one
  // order then the other (ABBA; see bench/passes.mjs): a steady phase's two halves pooled, a
  // saturation phase's two passes averaged.
  const streamModes = withStream ? [false, true] : [false];
  const modeName = (stream) => (stream ? 'streaming' : 'non-streaming');
  const live = [];
  for (const name of targetNames) {
    const target = targets[name];
    if (!target) continue;
    const label = LABELS[name];
    const run = { name, target, label, pool: connect(target.origin, Math.max(16, connections)), clientRequests: 2 };
    cleanups.push(() => run.pool.close());
    try {
      // The target really reaches the mock, with the upstream key, for JSON and for streams.
      const before = await invoice();
      const json = await probe(run.pool, request(target, false));
      const sse = await probe(run.pool, request(target, true));
      const after = await invoice();
      const content = json.status === 200 ? replyText(json.text) : undefined;
      const problems = [];
      if (json.status !== 200 || !content?.startsWith('Mock reply'))
        problems.push(`JSON call: ${json.status} ${json.text.slice(0, 200)}`);
      if (sse.status !== 200 || !streamEnded(sse.text))
        problems.push(`streamed call: ${sse.status} ${sse.text.slice(0, 200)}`);
      if (after.calls - before.calls !== 2)
        problems.push(`the mock billed ${after.calls - before.calls} calls, expected 2`);
      // The mock's Messages path refuses a call without the upstream key (x-api-key); the chat paths record it.
      if (!messagesApi && after.lastAuthorization !== `Bearer ${UPSTREAM_KEY}`)
        problems.push('the mock did not receive the upstream key');
      if (problems.length > 0)
        throw new Error(`${label} does not reach the mock upstream properly: ${problems.join('; ')}`);
      log(`${label}: verified (JSON and SSE replies from the mock, upstream key received)`);
      run.upstreamCalls = 2;
      live.push(run);
    } catch (err) {
      failTarget(run, err);
    }
  }

  /** A target that fails a phase is reported and measured no further. */
  function failTarget(run, err) {
    console.error(`bench: ${run.label}: ${err.message}`);
    results.targets[run.name] = { ...results.targets[run.name], error: err.message };
    run.failed = true;
    exitCode = 1;
  }

  /**
   * Runs `measure` for every live target in `order`, counting the calls it sent and the mock billed,
   * and hands its result to `record`.
   */
  const eachTarget = async (order, record, measure) => {
    for (const run of order) {
      if (run.failed) continue;
      try {
        const before = await invoice();
        const { result, sent } = await measure(run);
        run.clientRequests += sent;
        run.upstreamCalls += (await invoice()).calls - before.calls;
        await record(run, result);
      } catch (err) {
        failTarget(run, err);
      }
    }
  };

  await eachTarget(
    live,
    () => {},
    async (run) => {
      log(`${run.label}: warm-up ${warmupSeconds} s`);
      const warm = await closedLoop(run.pool, request(run.target, false), { concurrency: 8, seconds: warmupSeconds });
      const warmStream = withStream
        ? await closedLoop(run.pool, request(run.target, true), { concurrency: 8, seconds: Math.min(warmupSeconds, 2) })
        : { ok: 0, failed: 0 };
      return { sent: warm.ok + warm.failed + warmStream.ok + warmStream.failed };
    },
  );

  /** One pass of a steady phase: the raw samples, joined with the other pass's by steadyOfPasses. */
  const steady = async (run, stream, rate) => {
    const q = await quiet(`${run.label} steady`);
    const meter = cpuMeter(process.pid, watch);
    const load = await paced(run.pool, request(run.target, stream), { rate, seconds: seconds / 2 });
    const cpu = meter.end();
    return { sent: load.sent, result: { load, cpu, quietBefore: { waitedMs: q.waitedMs, quiet: q.quiet } } };
  };
  /**
   * Right after a target's last phase of load: its memory, as a user would see it, and for Sluice how
   * long until the machine is quiet again (metering catches up after the load).
   */
  const afterLastLoad = async (run) => {
    results.memory[run.name] = memory(process.pid, watch).byName;
    if (run.name === 'sluice') results.targets.sluice.quietAfterMs = (await waitQuiet({ maxMs: 60_000 })).waitedMs;
  };
  const abba = [live, [...live].reverse()];
  for (const rate of rates) {
    for (const stream of streamModes) {
      const kind = stream ? 'streaming' : 'nonStreaming';
      const last = !withThroughput && rate === rates.at(-1) && stream === withStream;
      const passes = {};
      for (const [pass, order] of abba.entries())
        await eachTarget(
          order,
          async (run, result) => {
            (passes[run.name] ??= []).push(result);
            if (last && pass === 1) await afterLastLoad(run);
          },
          (run) => {
            log(`${run.label}: steady ${rate} req/s for ${seconds / 2} s, ${modeName(stream)} (pass ${pass + 1} of 2)`);
            return steady(run, stream, rate);
          },
        );
      for (const [name, runs] of Object.entries(passes))
        if (!live.find((r) => r.name === name).failed) results.steady[rate][kind][name] = steadyOfPasses(runs);
    }
  }

  const maxOut = async (run, stream) => {
    const q = await quiet(`${run.label} throughput`);
    const req = request(run.target, stream);
    const meter = cpuMeter(process.pid, watch);
    const r = await autocannon({
      url: `${run.target.origin}${req.path}`,
      method: 'POST',
      headers: req.headers,
      body: req.body,
      connections,
      duration: seconds,
    });
    const cpu = meter.end();
    return {
      sent: r.requests.total + r.errors,
      result: {
        rps: r.requests.average,
        requests: r.requests.total,
        p50: r.latency.p50,
        p99: r.latency.p99,
        mean: r.latency.mean,
        errors: r.errors,
        timeouts: r.timeouts,
        non2xx: r.non2xx,
        cpu,
        gatewayCpu: run.name === 'sluice' ? cpu.byName.gateway : run.name === 'direct' ? null : cpu.byName[run.name],
        quietBefore: { waitedMs: q.waitedMs, quiet: q.quiet },
      },
    };
  };
  if (withThroughput) {
    for (const stream of streamModes) {
      const kind = stream ? 'streaming' : 'nonStreaming';
      const passes = {};
      for (const [pass, order] of [live, [...live].reverse()].entries())
        await eachTarget(
          order,
          async (run, result) => {
            (passes[run.name] ??= []).push(result);
            if (pass === 1 && stream === withStream) await afterLastLoad(run);
          },
          (run) => {
            log(
              `${run.label}: maximum throughput, ${connections} connections for ${seconds} s, ${modeName(stream)} (pass ${pass + 1} of 2)`,
            );
            return maxOut(run, stream);
          },
        );
      for (const [name, runs] of Object.entries(passes))
        if (!live.find((r) => r.name === name).failed) results.throughput[kind][name] = saturationOfPasses(runs);
    }
  }
  for (const run of live)
    if (!run.failed)
      results.upstream[run.name] = { clientRequests: run.clientRequests, upstreamCalls: run.upstreamCalls };

  if (withResponses && responsesModels && targets.direct && targets.sluice) {
    results.responses = await benchResponses({
      targets,
      models: responsesModels,
      rate,
      seconds,
      warmupSeconds,
      stream: withStream,
      quiet,
      log,
      round,
    });
  }

  // --- added latency and the report ---------------------------------------------------------------
  for (const rate of rates) {
    for (const kind of ['nonStreaming', 'streaming']) {
      const direct = results.steady[rate][kind].direct;
      for (const name of GATEWAYS) {
        const via = results.steady[rate][kind][name];
        if (direct?.latency.n && via?.latency.n) {
          results.added[rate][kind][name] = {
            p50: round(via.latency.p50 - direct.latency.p50, 4),
            p99: round(via.latency.p99 - direct.latency.p99, 4),
          };
          if (kind === 'streaming') results.added[rate][kind][name].ttfbP50 = round(via.ttfb.p50 - direct.ttfb.p50, 4);
        }
      }
    }
  }
  const rows = (group) => targetNames.filter((n) => group[n]).map((n) => ({ label: LABELS[n], run: group[n] }));
  const addedLabels = (group) => Object.fromEntries(Object.entries(group).map(([n, a]) => [LABELS[n], a]));
  for (const rate of rates) {
    const { nonStreaming, streaming } = results.steady[rate];
    console.log(
      `\n${messagesApi ? 'Messages API (/v1/messages). ' : ''}Steady ${rate} req/s for ${seconds} s, non-streaming — latency in ms, from sending the request to the last byte:`,
    );
    console.log(steadyTable(rows(nonStreaming), { streaming: false }));
    if (Object.keys(results.added[rate].nonStreaming).length)
      console.log(`added latency over direct: ${addedLine(addedLabels(results.added[rate].nonStreaming))}`);
    if (withStream) {
      console.log(
        `\nSteady ${rate} req/s for ${seconds} s, streaming — latency to the last byte (${STREAM_END}), and to the first body byte (ttfb), in ms:`,
      );
      console.log(steadyTable(rows(streaming), { streaming: true }));
      if (Object.keys(results.added[rate].streaming).length)
        console.log(
          `added latency over direct (to the last byte): ${addedLine(addedLabels(results.added[rate].streaming))}`,
        );
    }
  }
  if (withThroughput) {
    console.log(
      `\nMaximum throughput, ${connections} connections for ${seconds} s (autocannon; latency in whole ms), non-streaming:`,
    );
    console.log(throughputTable(rows(results.throughput.nonStreaming)));
    if (withStream) {
      console.log(`\nMaximum throughput, ${connections} connections for ${seconds} s, streaming:`);
      console.log(throughputTable(rows(results.throughput.streaming)));
    }
    const s = results.throughput.nonStreaming.sluice?.rps;
    const p = results.throughput.nonStreaming.portkey?.rps;
    if (s && p) console.log(`Sluice / Portkey throughput (non-streaming): ${(s / p).toFixed(2)}×`);
  }
  // CPU per call by process (µs): what each process spent during a steady run, over the calls sent.
  results.cpuPerCall = Object.fromEntries(
    rates.map((rate) => [
      rate,
      Object.fromEntries(
        Object.entries(results.steady[rate].nonStreaming).map(([n, run]) => [n, cpuPerCall(run, SLUICE_PROCESSES)]),
      ),
    ]),
  );
  if (results.cpuPerCall[rates[0]].sluice) {
    console.log(
      `\nSluice, CPU per call by process (µs, non-streaming steady runs; "total" is every process npm start runs):`,
    );
    console.log(
      cpuPerCallTable(
        rates.map((rate) => ({ rate, perCall: results.cpuPerCall[rate].sluice })),
        SLUICE_PROCESSES,
      ),
    );
  }
  if (results.memory.sluice) {
    console.log(`\nSluice, resident memory by process (MB; PSS counts Postgres' shared pages once):`);
    console.log(
      memoryTable(
        [
          { label: 'idle after start', byName: results.memoryIdle.sluice },
          { label: 'after the runs', byName: results.memory.sluice },
        ],
        SLUICE_PROCESSES,
      ),
    );
  }
  console.log(`\nSluice against Portkey, this run:`);
  console.log(summaryTable(results, { rates, connections, withStream, processes: SLUICE_PROCESSES }));
  if (results.responses) {
    for (const kind of withStream ? ['nonStreaming', 'streaming'] : ['nonStreaming']) {
      const runs = Object.entries(results.responses.steady[kind]).map(([name, run]) => ({
        label: `/v1/responses ${name}`,
        run,
      }));
      console.log(
        `\nResponses, steady ${rate} req/s for ${seconds} s, ${kind === 'streaming' ? 'streaming (to the last event)' : 'non-streaming'} — ms:`,
      );
      console.log(steadyTable(runs, { streaming: kind === 'streaming' }));
      console.log(`added latency over direct /v1/responses: ${addedLine(results.responses.added[kind])}`);
    }
  }
  console.log(
    `\n"other CPU": cores used by processes this benchmark did not start (should be ~0). "send lag": how late the generator sent (timer granularity).`,
  );
  for (const [name, u] of Object.entries(results.upstream)) {
    if (u.upstreamCalls < u.clientRequests * 0.99)
      log(`${LABELS[name]}: only ${u.upstreamCalls} of ${u.clientRequests} requests reached the mock upstream`);
  }
  if (results.targets.portkey?.error) console.log(`Portkey was not measured: ${results.targets.portkey.error}`);
  for (const rate of rates) {
    for (const kind of ['nonStreaming', 'streaming']) {
      for (const [name, run] of Object.entries(results.steady[rate][kind])) {
        if (run.failed === 0 && run.skipped === 0) continue;
        exitCode = 1;
        log(
          `${LABELS[name]} ${rate} req/s ${kind}: ${run.failed} failed, ${run.skipped} skipped ${JSON.stringify(run.errors)}`,
        );
      }
    }
  }
} catch (err) {
  console.error(`bench: ${err.stack ?? err.message}`);
  exitCode = 1;
} finally {
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`results: ${join('.bench', 'results.json')}`);
  await cleanup();
}
process.exit(exitCode);

function gitCommit() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() !== '';
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return null;
  }
}
