import { meterOf, serveMetrics, type MetricsEndpoint } from './metrics';

describe('the metrics endpoint', () => {
  const endpoints: MetricsEndpoint[] = [];
  const open = async (options?: Parameters<typeof serveMetrics>[3]) => {
    const endpoint = await serveMetrics('endpoint-spec', 0, '127.0.0.1', options);
    endpoints.push(endpoint);
    return endpoint;
  };
  afterEach(async () => {
    await Promise.all(endpoints.splice(0).map((e) => e.close()));
  });

  it('serves the Prometheus text at GET /metrics and nothing else', async () => {
    meterOf('endpoint-spec').createCounter('sluice.spec.calls').add(2, { outcome: 'ok' });
    const endpoint = await open();
    const res = await fetch(endpoint.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('sluice_spec_calls_total{outcome="ok"} 2');
    expect((await fetch(endpoint.url.replace('/metrics', '/health'))).status).toBe(404);
    expect((await fetch(endpoint.url, { method: 'POST' })).status).toBe(404);
  });

  it("says how much memory the process holds: resident, V8's heap and its ceiling, outside the heap", async () => {
    const endpoint = await open({ cacheMs: 0 });
    const text = await (await fetch(endpoint.url)).text();
    const bytes = (kind: string) =>
      Number(new RegExp(`^sluice_process_memory_bytes\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(bytes('rss')).toBeGreaterThan(bytes('heap_used'));
    expect(bytes('heap_used')).toBeGreaterThan(1 << 20);
    expect(bytes('heap_total')).toBeGreaterThanOrEqual(bytes('heap_used'));
    expect(bytes('heap_limit')).toBeGreaterThan(bytes('heap_total'));
    expect(bytes('external')).toBeGreaterThan(0);
    expect(bytes('array_buffers')).toBeGreaterThanOrEqual(0);
  });

  it('collects once for many scrapes at once, and answers from that collection for the cache interval', async () => {
    // An expensive gauge, as admin-api's pipeline lag (a count over the log, JetStream calls): it counts its runs.
    let collections = 0;
    meterOf('endpoint-spec')
      .createObservableGauge('sluice.spec.expensive')
      .addCallback(async (r) => {
        collections++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        r.observe(collections);
      });
    const endpoint = await open({ cacheMs: 60_000 });
    const scrape = async () => (await fetch(endpoint.url)).text();

    const texts = await Promise.all(Array.from({ length: 50 }, scrape));
    expect(collections).toBe(1);
    expect(new Set(texts).size).toBe(1);
    expect(texts[0]).toContain('sluice_spec_expensive 1');
    // A scraper in a loop gets the same collection until the interval ends.
    for (let i = 0; i < 20; i++) await scrape();
    expect(collections).toBe(1);
  });

  it('collects again once the interval has passed', async () => {
    let collections = 0;
    meterOf('endpoint-spec')
      .createObservableGauge('sluice.spec.fresh')
      .addCallback((r) => r.observe(++collections));
    const endpoint = await open({ cacheMs: 50 });
    const first = await (await fetch(endpoint.url)).text();
    expect(first).toContain('sluice_spec_fresh 1');
    // Polls until a later scrape shows a new collection (the cache has expired).
    for (let seen = first; !seen.includes('sluice_spec_fresh 2'); ) seen = await (await fetch(endpoint.url)).text();
    expect(collections).toBe(2);
  });

  it('asks for the bearer token when one is set (SLUICE_METRICS_TOKEN)', async () => {
    const endpoint = await open({ cacheMs: 0, token: 'scrape-secret-0123456789' });
    const get = (authorization?: string) => fetch(endpoint.url, { headers: authorization ? { authorization } : {} });
    expect((await get()).status).toBe(401);
    expect((await get('Bearer wrong')).status).toBe(401);
    expect((await get('Basic c2NyYXBlLXNlY3JldC0wMTIzNDU2Nzg5')).status).toBe(401);
    const ok = await get('Bearer scrape-secret-0123456789');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('# HELP');
  });
});
