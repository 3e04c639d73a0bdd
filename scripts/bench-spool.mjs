// `npm run bench:spool`: what the gateway's write-ahead usage spool costs per call on the request
// path: a "begin" record before the upstream call, an "end" record with the usage message, an
// "acked" record after JetStream's acknowledgement — three JSON lines; begin and end are one
// synchronous append each, the acks of one event-loop turn one append together.
// Reports µs per call (and per record) with the real UsageSpool, against the same records only
// encoded (no write), in BENCH_SPOOL_DIR (default: the OS temp dir). BENCH_CALLS (default 200,000).
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, root } from './setup.mjs';

await build();
const require = createRequire(import.meta.url);
const gatewayDist = join(root, 'services/gateway/dist/usage');
const { UsageSpool } = require(join(gatewayDist, 'spool/usage-spool.js'));
const { beginRecord, encodeRecord } = require(join(gatewayDist, 'spool/spool-records.js'));
const { usageMessage } = require(join(gatewayDist, 'usage-message.js'));

const calls = Number(process.env.BENCH_CALLS ?? 200_000);
const dir = mkdtempSync(join(process.env.BENCH_SPOOL_DIR ?? tmpdir(), 'sluice-bench-spool-'));
const silent = { error: () => {}, info: () => {}, warn: () => {} };
const price = { inputUsdPerMTok: 2.5, outputUsdPerMTok: 10, cachedInputUsdPerMTok: 1.25 };
const route = {
  providerId: '7f3c2a9e-1b4d-4e8a-9c6f-2d5e8b1a0c3f',
  providerType: 'openai-compatible',
  baseUrl: null,
  upstreamModel: 'gpt-4o-mini-2024-07-18',
  price,
};
const tags = { clientRequestId: 'client-req-0123456789', user: 'user-42', metadata: null };
const callOf = (i) => ({
  requestId: `client-req-${i}`,
  callId: `0b7c6a3e-5f1d-4c2b-9a8e-${String(i).padStart(12, '0')}`,
  keyId: '3d9a1f7c-2e4b-4a6d-8c1e-5f7b9d2a4c6e',
  model: 'gpt-4o-mini',
  route,
  op: 'chat',
  stream: i % 2 === 0,
  clientIp: '10.1.2.3',
  startedAt: Date.now(),
  // What worstCaseOf makes of a 1,180-token prompt without max_tokens (policy's default cap).
  worstCase: { inputTokens: 4720, outputTokens: 4096 },
  tags,
});
const result = {
  status: 200,
  tokens: { inputTokens: 1200, cachedInputTokens: 0, outputTokens: 350, reasoningTokens: 0 },
  estimated: false,
  latencyMs: 812.345,
  ttfbMs: 120.5,
};

const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));

// Calls finish in bursts of BENCH_BURST per event-loop turn, as under load (acks are written per turn).
const burst = Number(process.env.BENCH_BURST ?? 16);
async function run(label, perCall) {
  for (let i = 0; i < 20_000; i++) perCall(i); // warm-up
  await endOfTurn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    perCall(i);
    if (i % burst === burst - 1) await endOfTurn();
  }
  await endOfTurn();
  const us = Number(process.hrtime.bigint() - t0) / 1000 / calls;
  console.log(`${label.padEnd(48)} ${us.toFixed(2)} µs/call`);
  return us;
}

const today = await run('without the spool: build the usage message', (i) => usageMessage(callOf(i), result));
const encodeOnly = await run('encode the three records, no write', (i) => {
  const call = callOf(i);
  encodeRecord(beginRecord(call));
  encodeRecord({ t: 'e', usage: usageMessage(call, result) });
  encodeRecord({ t: 'a', callId: call.callId });
});
const { spool } = UsageSpool.open(dir, silent);
const spooled = await run('UsageSpool: begin + end + acked (per turn)', (i) => {
  const call = callOf(i);
  spool.begin(beginRecord(call));
  spool.end(usageMessage(call, result));
  spool.acked(call.callId);
});
spool.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  `the spool adds ${(spooled - today).toFixed(2)} µs/call: ${(encodeOnly - today).toFixed(2)} µs encoding, ${(spooled - encodeOnly).toFixed(2)} µs appending ` +
    `(two writeSync per call, one per burst of ${burst} for the acks); ${calls} calls in ${dir}`,
);
