import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { sql } from 'kysely';
import { parse as parseYaml } from 'yaml';
import { parsePrometheusText, sampleValue, waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(240_000);

const PRICE = { input: 2, output: 8 };
const usdOf = (input: number, output: number) => (input * PRICE.input + output * PRICE.output) / 1e6;
const ROOT = join(__dirname, '..');

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
  service: string;
}

/** An OTLP/HTTP (JSON) receiver in this process: the services export their spans and metrics to it. */
async function startOtlpReceiver(): Promise<{
  url: string;
  spans: OtlpSpan[];
  metricNames: Set<string>;
  close(): Promise<void>;
}> {
  const spans: OtlpSpan[] = [];
  const metricNames = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const json = JSON.parse(body.toString('utf8') || '{}');
      for (const rs of json.resourceSpans ?? []) {
        const service = attributesOf(rs.resource?.attributes)['service.name'] as string;
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? []) spans.push({ ...s, attributes: attributesOf(s.attributes), service });
      }
      for (const rm of json.resourceMetrics ?? [])
        for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) metricNames.add(m.name);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    metricNames,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function attributesOf(list: { key: string; value: Record<string, unknown> }[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    const v = value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue;
    out[key] = typeof v === 'string' && value.intValue !== undefined ? Number(v) : v;
  }
  return out;
}

/** Metric names a PromQL expression reads (Sluice's, OpenTelemetry GenAI's and LiteLLM's), not its label names. */
const metricNamesIn = (expr: string) =>
  [
    ...expr
      .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
      .replace(/\{\s*(?:[a-zA-Z_]\w*\s*(?:=~|!~|!=|=)\s*"[^"]*"\s*,?\s*)*\}/g, '')
      .matchAll(/\b((?:sluice|gen_ai|litellm)_[a-z0-9_]+)\b/g),
  ].map((m) => m[1]);

describe('observability, end to end (five service processes, Prometheus scrapes, an OTLP receiver)', () => {
  let e2e: E2eSystem;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let budgetKey: { id: string; key: string };
  let limitedKey: { id: string; key: string };
  let refusal: unknown;
  const traceId = '0af7651916cd43dd8448eb211c80319c';

  const client = (key: string, headers: Record<string, string> = {}) =>
    new OpenAI({
      apiKey: key,
      baseURL: e2e.system.gatewayUrl.replace('localhost', '127.0.0.1'),
      maxRetries: 0,
      defaultHeaders: headers,
    });
  const scrape = async (service: 'gateway' | 'policy' | 'metering' | 'admin-api' | 'key-registry') =>
    (await fetch(e2e.system.metricsUrls[service]!)).text();
  const invoiceOf = (ids: string[]) => {
    const entries = ids.map((id) => e2e.upstream.invoice.byRequest.get(id)!);
    expect(entries.every(Boolean)).toBe(true);
    return {
      input: entries.reduce((s, e) => s + e.promptTokens, 0),
      output: entries.reduce((s, e) => s + e.completionTokens, 0),
    };
  };

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    e2e = await startE2eSystem({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        SLUICE_METRICS_LITELLM: 'true',
      },
    });
    const provider = await e2e.admin('POST', '/providers', {
      name: 'obs-upstream',
      type: 'openai-compatible',
      apiKey: 'sk-upstream-obs-0123456789',
      baseUrl: e2e.upstream.url,
    });
    expect(
      (
        await e2e.admin('POST', '/models', {
          name: 'obs-gpt',
          providerId: provider.body.id,
          upstreamModel: 'upstream-obs',
          inputUsdPerMTok: PRICE.input,
          outputUsdPerMTok: PRICE.output,
        })
      ).status,
    ).toBe(201);
    const created = await e2e.admin('POST', '/keys', { name: 'obs-budget', budget: { maxUsd: 1 } });
    budgetKey = { id: created.body.id, key: created.body.key };
    const limited = await e2e.admin('POST', '/keys', { name: 'obs-limited', rateLimits: { requestsPerMinute: 2 } });
    limitedKey = { id: limited.body.id, key: limited.body.key };

    // The budget key: two answers and one stream, the first one traced by the caller.
    const messages = (i: number) => [{ role: 'user' as const, content: `Observe call number ${i}` }];
    await client(budgetKey.key, {
      'x-request-id': 'obs-b-0',
      traceparent: `00-${traceId}-b7ad6b7169203331-01`,
    }).chat.completions.create({ model: 'obs-gpt', messages: messages(0) });
    await client(budgetKey.key, { 'x-request-id': 'obs-b-1' }).chat.completions.create({
      model: 'obs-gpt',
      messages: messages(1),
    });
    const stream = await client(budgetKey.key, { 'x-request-id': 'obs-b-2' }).chat.completions.create({
      model: 'obs-gpt',
      messages: messages(2),
      stream: true,
    });
    for await (const _chunk of stream);
    // The limited key: two answers, then a third call in the same minute refused by its rule.
    for (const i of [0, 1])
      await client(limitedKey.key, { 'x-request-id': `obs-l-${i}` }).chat.completions.create({
        model: 'obs-gpt',
        messages: messages(10 + i),
      });
    refusal = await client(limitedKey.key, { 'x-request-id': 'obs-l-2' })
      .chat.completions.create({ model: 'obs-gpt', messages: messages(12) })
      .catch((err) => err);
  });
  afterAll(async () => {
    await e2e?.stop();
    await otlp?.close();
  });

  it('lists every service in endpoints.json as metricsUrls', () => {
    const endpoints = JSON.parse(readFileSync(join(e2e.system.dataDir, 'endpoints.json'), 'utf8'));
    expect(endpoints.metricsUrls).toEqual(Object.values(e2e.system.metricsUrls));
    expect(endpoints.metricsUrls).toHaveLength(5);
  });

  it('scrapes exactly the calls, tokens and costs of each key, and the refusal under its rule', async () => {
    expect(refusal).toMatchObject({ status: 429 });
    const text = await scrape('gateway');
    const b = invoiceOf(['obs-b-0', 'obs-b-1', 'obs-b-2']);
    const l = invoiceOf(['obs-l-0', 'obs-l-1']);
    const served = (keyId: string, name: string) => ({
      key_id: keyId,
      key_name: name,
      model: 'obs-gpt',
      operation: 'chat',
      status_class: '2xx',
      rule: '',
    });
    const budget = served(budgetKey.id, 'obs-budget');
    const limited = served(limitedKey.id, 'obs-limited');

    expect(sampleValue(text, 'sluice_gateway_requests_total', budget)).toBe(3);
    expect(sampleValue(text, 'sluice_gateway_tokens_total', { ...budget, token_type: 'input' })).toBe(b.input);
    expect(sampleValue(text, 'sluice_gateway_tokens_total', { ...budget, token_type: 'output' })).toBe(b.output);
    expect(sampleValue(text, 'sluice_gateway_cost_usd_total', budget)).toBeCloseTo(usdOf(b.input, b.output), 12);
    expect(sampleValue(text, 'sluice_gateway_requests_total', limited)).toBe(2);
    expect(sampleValue(text, 'sluice_gateway_tokens_total', { ...limited, token_type: 'output' })).toBe(l.output);
    expect(sampleValue(text, 'sluice_gateway_cost_usd_total', limited)).toBeCloseTo(usdOf(l.input, l.output), 12);
    expect(
      sampleValue(text, 'sluice_gateway_requests_total', {
        key_id: limitedKey.id,
        status_class: '4xx',
        rule: 'requestsPerMinute',
      }),
    ).toBe(1);
    // The same counts under LiteLLM's names, so its dashboards work unchanged.
    expect(
      sampleValue(text, 'litellm_proxy_total_requests_metric_total', {
        hashed_api_key: budgetKey.id,
        api_key_alias: 'obs-budget',
        status_code: '200',
      }),
    ).toBe(3);
    expect(sampleValue(text, 'litellm_spend_metric_total', { api_key_alias: 'obs-budget' })).toBeCloseTo(
      usdOf(b.input, b.output),
      12,
    );
    expect(sampleValue(text, 'litellm_total_tokens_metric_total', { api_key_alias: 'obs-budget' })).toBe(
      b.input + b.output,
    );
  });

  it("shows the budget gauge equal to the key object's remainingUsd", async () => {
    // Once every call has settled, nothing moves the budget: the key object and a scrape read the same state.
    const invoiced = invoiceOf(['obs-b-0', 'obs-b-1', 'obs-b-2']);
    const settled = await waitFor(
      async () => {
        const { body } = await e2e.admin('GET', `/keys/${budgetKey.id}`);
        expect(body.budget.reservedUsd).toBe(0);
        expect(body.budget.spentUsd).toBeCloseTo(usdOf(invoiced.input, invoiced.output), 12);
        return body;
      },
      { timeoutMs: 10_000, description: 'the budget key to settle' },
    );
    const text = await scrape('policy');
    expect(
      sampleValue(text, 'sluice_policy_budget_remaining_usd', { key_id: budgetKey.id, key_name: 'obs-budget' }),
    ).toBe(settled.budget.remainingUsd);
    expect(
      sampleValue(text, 'litellm_remaining_api_key_budget_metric', {
        hashed_api_key: budgetKey.id,
        api_key_alias: 'obs-budget',
      }),
    ).toBe(settled.budget.remainingUsd);
    expect(sampleValue(text, 'sluice_policy_budget_max_usd', { key_id: budgetKey.id })).toBe(1);
    expect(settled.budget.remainingUsd).toBeCloseTo(1 - usdOf(invoiced.input, invoiced.output), 9);
  });

  it('exports one call as one trace, gateway → policy → metering, with the GenAI attributes, and names it in the request log', async () => {
    const trace = await waitFor(
      () => {
        const found = otlp.spans.filter((s) => s.traceId === traceId);
        return (
          ['sluice-gateway', 'sluice-policy', 'sluice-metering'].every((svc) => found.some((s) => s.service === svc)) &&
          found
        );
      },
      { timeoutMs: 15_000, description: 'spans of the traced call from the gateway, policy and metering' },
    );
    const call = trace.find((s) => s.service === 'sluice-gateway')!;
    const billed = invoiceOf(['obs-b-0']);
    expect(call.name).toBe('chat');
    expect(call.parentSpanId).toBe('b7ad6b7169203331');
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai_compatible',
      'gen_ai.request.model': 'obs-gpt',
      'gen_ai.response.model': 'upstream-obs',
      'gen_ai.usage.input_tokens': billed.input,
      'gen_ai.usage.output_tokens': billed.output,
      'sluice.key_id': budgetKey.id,
      'http.response.status_code': 200,
    });
    const policy = trace.find((s) => s.service === 'sluice-policy')!;
    const metering = trace.find((s) => s.service === 'sluice-metering')!;
    expect(policy).toMatchObject({
      name: 'policy authorize',
      parentSpanId: call.spanId,
      attributes: expect.objectContaining({ 'sluice.decision': 'allowed' }),
    });
    expect(metering).toMatchObject({
      name: 'process sluice.usage.recorded',
      parentSpanId: call.spanId,
      attributes: expect.objectContaining({ 'messaging.message.id': expect.any(String) }),
    });
    // The request log names the call's trace.
    const record = await waitFor(async () =>
      (await e2e.admin('GET', `/requests?keyId=${budgetKey.id}`)).body.data.find(
        (r: { clientRequestId: string }) => r.clientRequestId === 'obs-b-0',
      ),
    );
    expect(record.traceId).toBe(traceId);
    // The same instruments reach the OTLP receiver too.
    await waitFor(
      () => otlp.metricNames.has('gen_ai.client.operation.duration') && otlp.metricNames.has('sluice.gateway.requests'),
      { timeoutMs: 10_000, description: 'metrics over OTLP' },
    );
  });

  it('every metric the dashboard and the alert rules read exists in a real scrape', async () => {
    const texts = await Promise.all(
      Object.values(e2e.system.metricsUrls).map(async (url) => (await fetch(url!)).text()),
    );
    const scraped = new Set(texts.flatMap((t) => parsePrometheusText(t).map((s) => s.name)));
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy', 'monitoring', 'grafana-dashboard.json'), 'utf8'));
    const alerts = parseYaml(readFileSync(join(ROOT, 'deploy', 'monitoring', 'alerts.yaml'), 'utf8'));
    const exprs: string[] = [
      ...dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) => (p.targets ?? []).map((t) => t.expr)),
      ...dashboard.templating.list.map((v: { definition?: string }) => v.definition ?? ''),
      ...alerts.groups.flatMap((g: { rules: { expr: string; annotations?: Record<string, string> }[] }) =>
        g.rules.flatMap((r) => [r.expr, ...Object.values(r.annotations ?? {})]),
      ),
    ];
    const named = [...new Set(exprs.flatMap(metricNamesIn))];
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((name) => !scraped.has(name))).toEqual([]);
  });

  it('shows a growing metering lag while metering is stopped, back to 0 once it runs again', async () => {
    const lagOf = async () => {
      const text = await scrape('admin-api');
      return {
        messages: sampleValue(text, 'sluice_metering_lag_messages'),
        seconds: sampleValue(text, 'sluice_metering_lag_seconds'),
      };
    };
    await waitFor(async () => (await lagOf()).messages === 0, {
      timeoutMs: 10_000,
      description: 'no usage waiting before metering stops',
    });
    const metering = e2e.system.services.get('metering')!;
    await metering.stop();
    for (const i of [0, 1, 2])
      await client(budgetKey.key, { 'x-request-id': `obs-lag-${i}` }).chat.completions.create({
        model: 'obs-gpt',
        messages: [{ role: 'user', content: `lag ${i}` }],
      });

    const first = await waitFor(
      async () => {
        const lag = await lagOf();
        // Three calls' usage: one to three messages (a gateway batches the calls that end close together).
        return lag.messages! >= 1 && lag.messages! <= 3 && lag.seconds! > 0 && lag;
      },
      { timeoutMs: 10_000, description: 'the three calls’ usage waiting' },
    );
    const later = await waitFor(
      async () => {
        const lag = await lagOf();
        return lag.seconds! >= first.seconds! + 1 && lag;
      },
      { timeoutMs: 10_000, description: 'the lag to grow' },
    );
    // The last batch may have landed after the first look; none is recorded while metering is stopped.
    expect(later.messages).toBeGreaterThanOrEqual(first.messages!);
    expect(later.messages).toBeLessThanOrEqual(3);

    await metering.restart();
    await waitFor(
      async () => {
        const lag = await lagOf();
        return lag.messages === 0 && lag.seconds === 0;
      },
      { timeoutMs: 20_000, description: 'the lag back to 0' },
    );
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from usage_records where client_request_id like 'obs-lag-%'`.execute(e2e.database.db);
    expect(rows[0].n).toBe(3);
  });
});
