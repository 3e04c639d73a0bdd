import pino from 'pino';
import { Subjects, type ProviderCredential } from '@sluice/contracts';
import { connectNats, publishDurable, serve } from '@sluice/messaging';
import { startTestNats, waitFor } from '@sluice/testing';
import { startGateway } from '../gateway';
import { PROVIDER_SECRET, startHarness, testSpoolDir, type Harness } from '../../test/harness';

jest.setTimeout(60_000);

const messages = [{ role: 'user' as const, content: 'Hello' }];

describe('provider credentials in gateway memory (real NATS)', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness()));
  afterAll(() => h?.stop());

  it('serves from memory: a call costs one authorize round trip and no credentials request', async () => {
    const before = h.credentialRequests();
    for (let i = 0; i < 5; i++) await h.client().chat.completions.create({ model: 'gpt-test', messages });
    expect(h.credentialRequests()).toBe(before);
  });

  it('reloads when a provider event is committed, so a rotated key is used on the next calls', async () => {
    const rotated = 'sk-upstream-rotated-secret-9876543210';
    h.credentials[0] = { ...h.credentials[0], apiKey: rotated, secretVersion: 2 };
    // What the relay does for a committed event: a JetStream publish, which core subscribers receive too.
    await publishDurable(
      h.nc,
      Subjects.event('providers', 'ProviderKeyRotated'),
      { providerId: 'prov-main' },
      'evt-rotate-1',
    );
    await waitFor(async () => {
      await h.client().chat.completions.create({ model: 'gpt-test', messages });
      return h.upstream.invoice.lastAuthorization === `Bearer ${rotated}`;
    });
    h.credentials[0] = { ...h.credentials[0], apiKey: PROVIDER_SECRET, secretVersion: 3 };
    await publishDurable(
      h.nc,
      Subjects.event('providers', 'ProviderKeyRotated'),
      { providerId: 'prov-main' },
      'evt-rotate-2',
    );
    await waitFor(async () => {
      await h.client().chat.completions.create({ model: 'gpt-test', messages });
      return h.upstream.invoice.lastAuthorization === `Bearer ${PROVIDER_SECRET}`;
    });
  });

  it('refreshes before the call when policy routes to a newer secret version than the one in memory', async () => {
    const version = h.credentials[0].secretVersion + 1;
    const rotated = 'sk-upstream-rotated-before-its-event-arrived';
    h.credentials[0] = { ...h.credentials[0], apiKey: rotated, secretVersion: version };
    h.routes.set('gpt-versioned', {
      providerId: 'prov-main',
      providerType: 'openai-compatible',
      baseUrl: h.upstream.url,
      upstreamModel: 'upstream-gpt',
      secretVersion: version,
    });
    const before = h.credentialRequests();
    await h
      .client()
      .chat.completions.create({ model: 'gpt-versioned', messages }, { headers: { 'x-request-id': 'versioned-1' } });
    expect(h.upstream.invoice.byRequest.get('versioned-1')!.authorization).toBe(`Bearer ${rotated}`);
    expect(h.credentialRequests()).toBe(before + 1);
    for (let i = 0; i < 3; i++) await h.client().chat.completions.create({ model: 'gpt-versioned', messages });
    expect(h.credentialRequests()).toBe(before + 1);
    h.credentials[0] = { ...h.credentials[0], apiKey: PROVIDER_SECRET };
    h.routes.delete('gpt-versioned');
  });

  it('on a cache miss for a routed provider asks key-registry once, then serves or answers 503', async () => {
    h.routes.set('gpt-new', {
      providerId: 'prov-new',
      providerType: 'openai-compatible',
      baseUrl: h.upstream.url,
      upstreamModel: 'upstream-new',
    });
    const before = h.credentialRequests();
    const missing = await h
      .client()
      .chat.completions.create({ model: 'gpt-new', messages })
      .catch((e) => e);
    expect(missing).toMatchObject({ status: 503, type: 'service_unavailable_error' });
    expect(h.credentialRequests()).toBe(before + 1);

    h.credentials.push({
      providerId: 'prov-new',
      type: 'openai-compatible',
      baseUrl: h.upstream.url,
      apiKey: 'sk-new-provider-secret',
      secretVersion: 1,
    });
    const served = await h
      .client()
      .chat.completions.create({ model: 'gpt-new', messages }, { headers: { 'x-request-id': 'new-1' } });
    expect(served.model).toBe('upstream-new');
    expect(h.upstream.invoice.byRequest.get('new-1')!.authorization).toBe('Bearer sk-new-provider-secret');
    expect(h.credentialRequests()).toBe(before + 2);
    await h.client().chat.completions.create({ model: 'gpt-new', messages });
    expect(h.credentialRequests()).toBe(before + 2);
  });
});

describe('gateway readiness', () => {
  it('is not ready until key-registry has sent the credentials', async () => {
    const nats = await startTestNats();
    const nc = await connectNats(nats.url, 'key-registry-test');
    const gateway = await startGateway({
      port: 0,
      host: '127.0.0.1',
      natsUrl: nats.url,
      logger: pino({ level: 'silent' }),
      spoolDir: testSpoolDir(),
    });
    const ready = () => fetch(gateway.url.replace(/\/v1$/, '/ready')).then((r) => r.status);
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(await ready()).toBe(503);
      const credentials: ProviderCredential[] = [];
      serve(nc, Subjects.rpc.credentials, async () => credentials, { queue: 'key-registry' });
      await waitFor(async () => (await ready()) === 200, {
        timeoutMs: 5000,
        description: 'readiness after credentials arrive',
      });
    } finally {
      await gateway.close();
      await nc.drain();
      await nats.stop();
    }
  });
});
