import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import pino from 'pino';
import OpenAI from 'openai';
import { startMockUpstream, type MockUpstream } from '@sluice/mock-llm';
import { UpstreamAllowList, type BaseLookup } from '@sluice/net-policy';
import { startGateway, type RunningGateway } from '../gateway';
import type { CredentialSync } from '../credentials/credential-sync';
import { resolveCredential } from '../credentials/resolved-credential';
import { rawPost, startHarness, testSpoolDir, type Harness } from '../../test/harness';
import { OpenAiCompatibleProvider } from './openai-compatible/openai-compatible';
import { MAX_SSE_EVENT_BYTES } from './sse-event-bound';
import { UpstreamDispatch } from './upstream-dispatch';
import type { UpstreamCall, UpstreamResponse } from './upstream';

jest.setTimeout(60_000);

const messages = [{ role: 'user' as const, content: 'Hello' }];
const silent = pino({ level: 'silent' });
const timeouts = { headersTimeoutMs: 5000, bodyTimeoutMs: 5000 };

describe('upstream URL safety at connect time (real NATS, real sockets)', () => {
  let h: Harness;
  let strict: RunningGateway;
  const port = () => new URL(h.upstream.url).port;

  beforeAll(async () => {
    h = await startHarness();
    // A second gateway on the same bus with production's default: public upstreams only.
    strict = await startGateway({
      port: 0,
      host: '127.0.0.1',
      natsUrl: h.nats.url,
      logger: silent,
      spoolDir: testSpoolDir(),
    });
    const add = (providerId: string, model: string, baseUrl: string) => {
      h.credentials.push({
        providerId,
        type: 'openai-compatible',
        baseUrl,
        apiKey: 'sk-upstream-policy-test',
        secretVersion: 1,
      });
      h.routes.set(model, {
        providerId,
        providerType: 'openai-compatible',
        baseUrl: null,
        upstreamModel: 'upstream-gpt',
      });
    };
    add('prov-localhost', 'gpt-localhost', `http://localhost:${port()}/v1`);
    add('prov-metadata', 'gpt-metadata', 'http://169.254.169.254/v1');
    add('prov-mapped', 'gpt-mapped', `http://[::ffff:127.0.0.1]:${port()}/v1`);
  });
  afterAll(async () => {
    await strict?.close();
    await h?.stop();
  });

  const client = (gateway: RunningGateway) => new OpenAI({ apiKey: h.key, baseURL: gateway.url, maxRetries: 0 });

  it('refuses a host name that resolves to loopback, naming the address, and tells clients not to retry', async () => {
    const calls = h.upstream.invoice.calls;
    const res = await rawPost(
      { ...h, gateway: strict },
      '/chat/completions',
      JSON.stringify({ model: 'gpt-localhost', messages }),
      { authorization: `Bearer ${h.key}` },
    );
    expect(res.status).toBe(502);
    expect(res.json.error).toMatchObject({
      type: 'server_error',
      code: 'upstream_not_allowed',
      message: expect.stringContaining('localhost resolves to 127.0.0.1, a loopback address'),
    });
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(h.upstream.invoice.calls).toBe(calls);
  });

  it('refuses address literals before dialling: the metadata address and IPv4-mapped loopback', async () => {
    const started = Date.now();
    await expect(client(strict).chat.completions.create({ model: 'gpt-metadata', messages })).rejects.toMatchObject({
      status: 502,
      code: 'upstream_not_allowed',
      message: expect.stringContaining('169.254.169.254 is a link-local address'),
    });
    // No connection attempt: a dial to 169.254.169.254 from here would hang until the connect timeout.
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(client(strict).chat.completions.create({ model: 'gpt-mapped', messages })).rejects.toMatchObject({
      status: 502,
      code: 'upstream_not_allowed',
    });
  });

  it('serves the same upstreams where loopback is allowed', async () => {
    const served = await client(h.gateway).chat.completions.create({ model: 'gpt-localhost', messages });
    expect(served.model).toBe('upstream-gpt');
    await expect(client(h.gateway).chat.completions.create({ model: 'gpt-metadata', messages })).rejects.toMatchObject({
      code: 'upstream_not_allowed',
    });
  });

  it('ignores a client-supplied upstream: x-portkey-custom-host and a Portkey config never redirect the call', async () => {
    const decoyCalls = h.slow.invoice.calls;
    const res = await rawPost(h, '/chat/completions', JSON.stringify({ model: 'gpt-test', messages }), {
      authorization: `Bearer ${h.key}`,
      'x-request-id': 'custom-host-1',
      'x-portkey-custom-host': h.slow.url,
      'x-portkey-provider': 'openai',
      'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: h.slow.url, api_key: 'sk-attacker' }),
    });
    expect(res.status).toBe(200);
    expect(h.upstream.invoice.byRequest.get('custom-host-1')).toMatchObject({
      authorization: 'Bearer sk-upstream-real-secret-0123456789abcdef',
    });
    expect(h.slow.invoice.calls).toBe(decoyCalls);
  });
});

describe('DNS rebinding and redirects', () => {
  let redirector: Server;
  let upstream: MockUpstream;
  let redirectTarget: MockUpstream;
  beforeAll(async () => {
    [upstream, redirectTarget] = await Promise.all([startMockUpstream(), startMockUpstream()]);
    redirector = createServer((_req, res) =>
      res.writeHead(307, { location: `${redirectTarget.url}/chat/completions` }).end(),
    );
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => redirector.close(resolve));
    await Promise.all([upstream.close(), redirectTarget.close()]);
  });

  /** Drops the connection instead of returning it to the pool, so the next call opens (and checks) a new one. */
  const closeConnection = (response: UpstreamResponse) => {
    (response.body as Readable).on('error', () => undefined);
    response.abort();
  };
  const call: UpstreamCall = {
    op: 'chat',
    body: { model: 'x', messages },
    stream: false,
    requestId: 'rebind-1',
    route: { providerId: 'p', providerType: 'openai-compatible', baseUrl: null, upstreamModel: 'upstream-gpt' },
  };
  const dispatchTo = (baseUrl: string, lookup?: BaseLookup) => {
    const credential = resolveCredential({
      providerId: 'p',
      type: 'openai-compatible',
      baseUrl,
      apiKey: 'sk-x',
      secretVersion: 1,
    })!;
    const sync = { resolve: async () => credential } as unknown as CredentialSync;
    const provider = new OpenAiCompatibleProvider(timeouts, UpstreamAllowList.parse('127.0.0.0/8'), lookup);
    return { dispatch: new UpstreamDispatch(sync, provider, silent, MAX_SSE_EVENT_BYTES), provider };
  };

  it('refuses a new connection once the provider host starts resolving to the metadata address', async () => {
    let answer = '127.0.0.1';
    const lookup: BaseLookup = (_host, _options, callback) => callback(null, [{ address: answer, family: 4 }]);
    const { dispatch, provider } = dispatchTo(`http://llm.rebind.test:${new URL(upstream.url).port}/v1`, lookup);
    try {
      const first = await dispatch.open(call);
      expect(first).toMatchObject({ ok: true, response: { status: 200 } });
      if (first.ok) closeConnection(first.response);
      answer = '169.254.169.254';
      expect(await dispatch.open(call)).toEqual({
        ok: false,
        error: expect.objectContaining({
          code: 'upstream_not_allowed',
          message: expect.stringContaining('llm.rebind.test resolves to 169.254.169.254'),
        }),
      });
    } finally {
      await provider.close();
    }
  });

  it('never follows a redirect, whatever it points at', async () => {
    const { dispatch, provider } = dispatchTo(`http://127.0.0.1:${(redirector.address() as AddressInfo).port}/v1`);
    try {
      const outcome = await dispatch.open(call);
      expect(outcome).toMatchObject({ ok: true, response: { status: 307 } });
      if (outcome.ok) closeConnection(outcome.response);
      expect(redirectTarget.invoice.calls).toBe(0);
    } finally {
      await provider.close();
    }
  });
});
