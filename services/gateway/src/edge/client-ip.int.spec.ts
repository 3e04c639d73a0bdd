import pino from 'pino';
import { startGateway, type RunningGateway } from '../gateway';
import { rawPost, startHarness, testSpoolDir, type Harness } from '../../test/harness';

jest.setTimeout(60_000);

describe('client IP sent to policy (real NATS)', () => {
  let h: Harness;
  let behindProxy: RunningGateway;
  beforeAll(async () => {
    h = await startHarness();
    behindProxy = await startGateway({
      port: 0,
      host: '127.0.0.1',
      natsUrl: h.nats.url,
      trustedProxies: ['127.0.0.1/32'],
      logger: pino({ level: 'silent' }),
      spoolDir: testSpoolDir(),
    });
  });
  afterAll(async () => {
    await behindProxy?.close();
    await h?.stop();
  });

  const call = (gatewayUrl: string, headers: Record<string, string>) =>
    rawPost(
      { ...h, gateway: { ...h.gateway, url: gatewayUrl } },
      '/chat/completions',
      JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'hi' }] }),
      {
        authorization: `Bearer ${h.key}`,
        ...headers,
      },
    );

  it('is the socket address by default, whatever X-Forwarded-For claims', async () => {
    const res = await call(h.gateway.url, { 'x-forwarded-for': '10.1.2.3', 'x-request-id': 'xff-ignored' });
    expect(res.status).toBe(200);
    expect(h.authorizeRequests.find((r) => r.requestId === 'xff-ignored')?.clientIp).toBe('127.0.0.1');
  });

  it('is the right-most untrusted X-Forwarded-For entry when the peer is a trusted proxy, in policy and in usage', async () => {
    const res = await call(behindProxy.url, {
      'x-forwarded-for': '127.0.0.9, 198.51.100.7, 127.0.0.1',
      'x-request-id': 'xff-trusted',
    });
    expect(res.status).toBe(200);
    expect(h.authorizeRequests.find((r) => r.requestId === 'xff-trusted')?.clientIp).toBe('198.51.100.7');
    expect((await h.usageOf('xff-trusted')).clientIp).toBe('198.51.100.7');
  });
});
