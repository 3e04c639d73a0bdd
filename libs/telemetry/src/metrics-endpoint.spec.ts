import { meterOf, serveMetrics } from './metrics';

describe('the metrics endpoint', () => {
  it('serves the Prometheus text at GET /metrics and nothing else', async () => {
    meterOf('endpoint-spec').createCounter('sluice.spec.calls').add(2, { outcome: 'ok' });
    const endpoint = await serveMetrics('endpoint-spec', 0, '127.0.0.1');
    try {
      const res = await fetch(endpoint.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect(await res.text()).toContain('sluice_spec_calls_total{outcome="ok"} 2');
      expect((await fetch(endpoint.url.replace('/metrics', '/health'))).status).toBe(404);
      expect((await fetch(endpoint.url, { method: 'POST' })).status).toBe(404);
    } finally {
      await endpoint.close();
    }
  });
});
