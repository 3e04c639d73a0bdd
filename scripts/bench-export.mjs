// `npm run bench:export`: does exporting the audit trail stream with flat memory? Inserts
// BENCH_EVENTS (default 1,000,000) synthetic events into a fresh database (insert … select
// generate_series), seals them with the real Sealer, exports them through
// GET /admin/v1/audit/export?format=ndjson, and reports the rates and the admin-api process's
// RSS (sampled from /proc/<pid>/status; VmHWM is its peak). Then times GET /audit/verify.
// Only admin-api runs: the relay and projections have nothing to do with synthetic events.
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build, ensureDependencies, ensureServers, root, tempDataDir } from './setup.mjs';

ensureDependencies();
ensureServers();
await build();
const require = createRequire(import.meta.url);
const { startSystem } = require(join(root, 'apps/supervisor/dist/index.js'));
const { createDb } = require(join(root, 'libs/db/dist/index.js'));
const { Sealer } = require(join(root, 'libs/event-store/dist/index.js'));
const { sql } = require('kysely');

const total = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const chunk = 100_000;
const dataDir = tempDataDir('sluice-bench-export-');
const system = await startSystem({
  rootDir: root,
  dataDir,
  services: ['admin-api'],
  adminPort: 18971,
  env: { LOG_LEVEL: 'warn' },
  output: (service, line) =>
    line.includes('"level":50') || line.includes('"level":60') ? console.error(service, line) : undefined,
});
const db = createDb(system.databaseUrl);
const memory = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(status.match(new RegExp(`${field}:\\s+(\\d+) kB`))[1]);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
};
const mb = (n) => `${n.toFixed(1)} MB`;
try {
  let started = performance.now();
  for (let from = 0; from < total; from += chunk) {
    const to = Math.min(from + chunk, total) - 1;
    await sql`
      insert into events (stream_id, stream_type, stream_version, event_id, event_type, schema_version, data, metadata)
      select 'bench-' || (g / 100), 'bench', g % 100 + 1, gen_random_uuid(), 'BenchEventRecorded', 1,
        jsonb_build_object('n', g, 'note', 'synthetic event for the export benchmark', 'tags', jsonb_build_array('a', 'b')),
        jsonb_build_object('actor', 'bench', 'occurredAt', now()::text, 'requestId', 'req-' || g)
      from generate_series(${from}::int, ${to}::int) g`.execute(db);
  }
  const insertS = (performance.now() - started) / 1000;
  console.log(`inserted ${total} events in ${insertS.toFixed(1)} s (${Math.round(total / insertS)} events/s)`);

  started = performance.now();
  const sealer = new Sealer({ db, databaseUrl: system.databaseUrl, batchSize: 5000, pollMs: 50 });
  sealer.start();
  for (;;) {
    const { rows } = await sql`select coalesce(max(seq), 0)::bigint as n from event_chain`.execute(db);
    if (Number(rows[0].n) >= total) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await sealer.stop();
  const sealS = (performance.now() - started) / 1000;
  console.log(`sealed ${total} events in ${sealS.toFixed(1)} s (${Math.round(total / sealS)} events/s)`);

  const pid = system.services.get('admin-api').pid;
  const before = memory(pid);
  const samples = [];
  const sampler = setInterval(() => samples.push(memory(pid).rssMb), 100);
  started = performance.now();
  const res = await fetch(`${system.adminUrl.replace('localhost', '127.0.0.1')}/admin/v1/audit/export?format=ndjson`, {
    headers: { authorization: `Bearer ${system.adminToken}` },
  });
  if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
  let bytes = 0;
  let lines = 0;
  for await (const part of res.body) {
    bytes += part.length;
    for (let i = part.indexOf(10); i !== -1; i = part.indexOf(10, i + 1)) lines += 1;
  }
  const exportS = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const after = memory(pid);
  const quarter = (q) =>
    Math.max(0, ...samples.slice(Math.floor((samples.length * (q - 1)) / 4), Math.floor((samples.length * q) / 4)));
  console.log(
    `exported ${lines} rows, ${mb(bytes / 2 ** 20)}, in ${exportS.toFixed(1)} s: ${Math.round(lines / exportS)} rows/s, ${mb(bytes / 2 ** 20 / exportS)}/s`,
  );
  console.log(
    `admin-api RSS: ${mb(before.rssMb)} before, peak per quarter of the export ${[1, 2, 3, 4].map((q) => mb(quarter(q))).join(' / ')}, ${mb(after.rssMb)} after; VmHWM (process peak) ${mb(after.hwmMb)} (was ${mb(before.hwmMb)})`,
  );
  if (lines !== total) throw new Error(`expected ${total} rows, got ${lines}`);

  started = performance.now();
  const verify = await fetch(`${system.adminUrl.replace('localhost', '127.0.0.1')}/admin/v1/audit/verify`, {
    headers: { authorization: `Bearer ${system.adminToken}` },
  });
  const verdict = await verify.json();
  const verifyS = (performance.now() - started) / 1000;
  console.log(
    `verify: ok=${verdict.ok}, ${verdict.checked} links in ${verifyS.toFixed(1)} s (${Math.round(verdict.checked / verifyS)} links/s); admin-api VmHWM now ${mb(memory(pid).hwmMb)}`,
  );
} finally {
  await db.destroy();
  await system.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
