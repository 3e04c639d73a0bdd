// `npm run bench:metrics`: what measuring a call costs on the request path — the gateway's
// `callEnded` and `callRefused` (per-key counters, GenAI histograms, the span when tracing is on)
// — with the per-key counters spread over BENCH_KEYS keys (default 1,000) and 3 models, and what a
// scrape of that many series costs (off the request path). µs per call, BENCH_ROUNDS (default
// 200,000) rounds after a warm-up, first without and then with a recording tracer.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build, root } from './setup.mjs';

await build();
const require = createRequire(import.meta.url);
const { callEnded, callRefused } = require(join(root, 'services/gateway/dist/telemetry/call-telemetry.js'));
const { startCallSpan } = require(join(root, 'services/gateway/dist/telemetry/call-span.js'));
const { scrapeMetrics } = require(join(root, 'libs/telemetry/dist/index.js'));

const rounds = Number(process.env.BENCH_ROUNDS ?? 200_000);
const keys = Number(process.env.BENCH_KEYS ?? 1000);
const route = { providerId: 'prov_1', providerType: 'openai', baseUrl: null, upstreamModel: 'gpt-4o-2024-08-06' };
const usages = Array.from({ length: keys * 3 }, (_, i) => ({
  requestId: `call-${i}`,
  keyId: `key_${i % keys}`,
  model: ['gpt-4o', 'gpt-4o-mini', 'o3'][i % 3],
  upstreamModel: 'gpt-4o-2024-08-06',
  providerId: 'prov_1',
  operation: 'chat',
  stream: i % 2 === 0,
  status: 200,
  inputTokens: 120 + (i % 50),
  cachedInputTokens: 0,
  outputTokens: 300 + (i % 70),
  reasoningTokens: 0,
  estimated: false,
  latencyMs: 350.25,
  ttfbMs: 42.5,
  clientIp: '127.0.0.1',
  startedAt: '2026-12-04T00:00:00.000Z',
  costUsd: 0.0033,
}));
const refusal = {
  status: 429,
  type: 'requests',
  code: 'rate_limit_exceeded',
  message: 'limit',
  rule: 'requestsPerMinute',
};

const time = (fn, n) => {
  for (let i = 0; i < Math.min(20_000, n); i++) fn(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
};
const report = (name, us) => console.log(`  ${name.padEnd(52)} ${us.toFixed(2).padStart(8)} µs`);

const measure = (label) => {
  console.log(`${label}, µs per call (${keys} keys × 3 models):`);
  const span = () => startCallSpan('chat', 'gpt-4o', 'req', undefined).span;
  const spanOnly = time(() => span().end(), rounds);
  report('the call span alone (start + end)', spanOnly);
  report(
    'a served call: span + callEnded',
    time((i) => callEnded(span(), usages[i % usages.length], route, `team-${i % keys}`, 348.1), rounds),
  );
  report(
    'a refused call: span + callRefused',
    time(
      (i) => callRefused(span(), 'chat', { error: refusal, keyId: `key_${i % keys}`, keyName: `team-${i % keys}` }),
      rounds,
    ),
  );
};

measure('Tracing off (no OTLP endpoint: spans are not recorded)');
const t0 = performance.now();
const scrape = await scrapeMetrics();
console.log(
  `\nA scrape of ${scrape.split('\n').filter((l) => l && !l.startsWith('#')).length} series: ${(performance.now() - t0).toFixed(1)} ms, ${(scrape.length / 1024).toFixed(0)} KB\n`,
);

const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const discard = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
new NodeTracerProvider({
  spanProcessors: [new BatchSpanProcessor(discard, { maxQueueSize: 1 << 16, maxExportBatchSize: 4096 })],
}).register();
measure('Tracing on (every span recorded and batched for export)');
