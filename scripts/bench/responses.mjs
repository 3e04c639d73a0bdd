// The Responses scenario of `npm run bench` (BENCH_RESPONSES=1, the default): `POST /v1/responses`
// at a steady rate, JSON and streamed, direct to the mock's own Responses API and through Sluice
// three ways — native (a provider marked supportsResponses; the response id is stored: one
// JetStream publish before the last bytes), native with `store: false` (nothing stored), and
// bridged (a provider without the flag: Sluice builds the response from chat completions).
// "Added latency" is each Sluice variant minus direct; bridged is against direct Responses too.
import { connect, paced, probe, summarize, closedLoop } from './loadgen.mjs';

const INPUT = 'Say something short about gateways.';

/** Adds the catalog the scenario routes through; returns the model names per variant. */
export async function seedResponses(admin, upstreamUrl, upstreamKey, bridgedProviderId) {
  const native = await admin('/providers', {
    name: 'bench-responses-upstream',
    type: 'openai-compatible',
    supportsResponses: true,
    apiKey: upstreamKey,
    baseUrl: upstreamUrl,
  });
  await admin('/models', {
    name: 'bench-responses',
    providerId: native.id,
    upstreamModel: 'bench-model',
    inputUsdPerMTok: 1,
    outputUsdPerMTok: 2,
  });
  await admin('/models', {
    name: 'bench-bridged',
    providerId: bridgedProviderId,
    upstreamModel: 'bench-model',
    inputUsdPerMTok: 1,
    outputUsdPerMTok: 2,
  });
  return { native: 'bench-responses', bridged: 'bench-bridged' };
}

const request = (headers, model, stream, store = true) => ({
  path: '/v1/responses',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({
    model,
    input: INPUT,
    max_output_tokens: 256,
    ...(stream ? { stream: true } : {}),
    ...(store ? {} : { store: false }),
  }),
  // A stream ends with the data of response.completed; a JSON answer is the response object.
  check: (status, tail, bytes) => status === 200 && bytes > 0 && (!stream || tail.trimEnd().endsWith('}')),
});

/**
 * Runs every variant at `rate` for `seconds`, one at a time after `quiet()`, and returns the
 * summaries and the added latency over direct. `targets`: {direct, sluice} as bench.mjs builds them.
 */
export async function benchResponses({ targets, models, rate, seconds, warmupSeconds, stream, quiet, log, round }) {
  const variants = [
    ['direct', targets.direct, 'bench-model', true],
    ['native', targets.sluice, models.native, true],
    ['native, store: false', targets.sluice, models.native, false],
    ['bridged', targets.sluice, models.bridged, true],
  ];
  const out = { steady: { nonStreaming: {}, streaming: {} }, added: { nonStreaming: {}, streaming: {} } };
  for (const [name, target, model, store] of variants) {
    const pool = connect(target.origin, 16);
    try {
      const check = await probe(pool, request(target.headers, model, true, store));
      if (check.status !== 200 || !check.text.includes('event: response.completed'))
        throw new Error(`${name}: ${check.status} ${check.text.slice(0, 200)}`);
      await closedLoop(pool, request(target.headers, model, false, store), { concurrency: 8, seconds: warmupSeconds });
      for (const [kind, isStream] of stream
        ? [
            ['nonStreaming', false],
            ['streaming', true],
          ]
        : [['nonStreaming', false]]) {
        await quiet(`Responses ${name}`);
        log(`Responses ${name}: steady ${rate} req/s for ${seconds} s, ${isStream ? 'streaming' : 'non-streaming'}`);
        const req = request(target.headers, model, isStream, store);
        const run = await paced(pool, req, { rate, seconds });
        out.steady[kind][name] = {
          sent: run.sent,
          ok: run.ok,
          failed: run.failed,
          errors: run.errors,
          latency: summarize(run.latency),
          ttfb: summarize(run.ttfb),
          lag: summarize(run.lag),
          cpu: { other: null },
        };
      }
    } finally {
      await pool.close();
    }
  }
  for (const kind of Object.keys(out.steady)) {
    const direct = out.steady[kind].direct;
    for (const [name, run] of Object.entries(out.steady[kind])) {
      if (name === 'direct' || !direct?.latency.n || !run.latency.n) continue;
      out.added[kind][name] = {
        p50: round(run.latency.p50 - direct.latency.p50, 4),
        p99: round(run.latency.p99 - direct.latency.p99, 4),
      };
    }
  }
  return out;
}
