import OpenAI from 'openai';
import { Portkey } from 'portkey-ai';
import { generateVirtualKey } from '@sluice/contracts';
import { connectNats, type NatsConnection } from '@sluice/messaging';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(120_000);

const hello = [{ role: 'user' as const, content: 'Hello' }];

describe('key permissions and ingress compatibility, end to end (real NATS, Postgres, service processes, openai and portkey-ai SDKs)', () => {
  let e2e: E2eSystem;
  let nc: NatsConnection;
  let policyRequests = 0;
  let upstreamProvider: string;
  let mockProvider: string;
  let gateway4: string;
  let gateway6: string;

  const createKey = async (body: Record<string, unknown>): Promise<{ id: string; key: string }> => {
    const created = await e2e.admin('POST', '/keys', { name: `key-${Math.random().toString(36).slice(2)}`, ...body });
    expect(created.status).toBe(201);
    // No wait: the admin API answers once policy enforces the new key, so each test's first call
    // with it is asserted directly (served, or refused by the rule under test, never unknown).
    return created.body;
  };
  const openai = (apiKey: string, baseURL = gateway4) => new OpenAI({ apiKey, baseURL, maxRetries: 0 });
  const chat = (apiKey: string, model = 'gpt-test', baseURL = gateway4) =>
    openai(apiKey, baseURL).chat.completions.create({ model, messages: hello });
  const refusalOf = (call: Promise<unknown>) =>
    call.then(
      () => null,
      (err) => err,
    );

  beforeAll(async () => {
    // Dual-stack, so calls arrive over IPv6 (::1) and IPv4 (::ffff:127.0.0.1) alike.
    e2e = await startE2eSystem({ env: { SLUICE_GATEWAY_HOST: '::', SLUICE_UPSTREAM_ALLOW: '127.0.0.0/8' } });
    gateway4 = e2e.system.gatewayUrl.replace('localhost', '127.0.0.1');
    gateway6 = e2e.system.gatewayUrl.replace('localhost', '[::1]');
    nc = await connectNats(e2e.nats.url, 'e2e-observer');
    nc.subscribe('sluice.rpc.policy.>', { callback: () => void policyRequests++ });
    const upstream = await e2e.admin('POST', '/providers', {
      name: 'upstream',
      type: 'openai-compatible',
      apiKey: 'sk-upstream-secret-000000',
      baseUrl: e2e.upstream.url,
    });
    const mock = await e2e.admin('POST', '/providers', { name: 'built-in-mock', type: 'mock' });
    expect([upstream.status, mock.status]).toEqual([201, 201]);
    [upstreamProvider, mockProvider] = [upstream.body.id, mock.body.id];
    const price = { inputUsdPerMTok: 1, outputUsdPerMTok: 2 };
    for (const [name, providerId] of [
      ['gpt-test', upstreamProvider],
      ['gpt-mini', upstreamProvider],
      ['claude-test', upstreamProvider],
      ['mock-test', mockProvider],
    ]) {
      expect((await e2e.admin('POST', '/models', { name, providerId, upstreamModel: name, ...price })).status).toBe(
        201,
      );
    }
  });

  afterAll(async () => {
    await nc?.drain();
    await e2e?.stop();
  });

  it('serves the openai SDK and the portkey-ai SDK unchanged, with the key in any accepted header', async () => {
    const { key } = await createKey({});
    expect((await chat(key)).choices[0].message.content).toBeTruthy();
    for (const options of [{ apiKey: key }, { apiKey: 'placeholder', virtualKey: key }]) {
      const portkey = new Portkey({ ...options, baseURL: gateway4 });
      expect(
        (await portkey.chat.completions.create({ model: 'gpt-test', messages: hello })).choices[0]?.message?.content,
      ).toBeTruthy();
      let streamed = '';
      for await (const chunk of await portkey.chat.completions.create({
        model: 'mock-test',
        messages: hello,
        stream: true,
      }))
        streamed += chunk.choices[0]?.delta?.content ?? '';
      expect(streamed.length).toBeGreaterThan(0);
    }
    for (const header of [
      ['authorization', `Bearer ${key}`],
      ['x-api-key', key],
      ['api-key', key],
      ['x-portkey-api-key', key],
      ['x-portkey-virtual-key', key],
    ]) {
      const res = await fetch(`${gateway4}/models`, { headers: { [header[0]]: header[1] } });
      expect([header[0], res.status]).toEqual([header[0], 200]);
    }
  });

  it('lists through both SDKs only the models the key may use: its globs and its provider binding', async () => {
    const { key } = await createKey({ models: ['gpt-*', 'mock-*'], providerIds: [upstreamProvider] });
    expect((await openai(key).models.list()).data.map((m) => m.id).sort()).toEqual(['gpt-mini', 'gpt-test']);
    const portkeyModels = await new Portkey({ apiKey: key, baseURL: gateway4 }).models.list();
    expect(portkeyModels.data.map((m: { id: string }) => m.id).sort()).toEqual(['gpt-mini', 'gpt-test']);
  });

  it('refuses with a distinct code per rule, naming the rule', async () => {
    const expectRefusal = async (call: Promise<unknown>, status: number, code: string, rule?: string) => {
      const err = await refusalOf(call);
      expect(err).toMatchObject({ status, code });
      if (rule) expect(err.error).toMatchObject({ rule, message: expect.stringContaining(`(rule: ${rule})`) });
    };
    await expectRefusal(chat(generateVirtualKey()), 401, 'invalid_api_key');
    const tenOnly = await createKey({ ipAllowlist: ['10.0.0.0/8'] });
    await expectRefusal(chat(tenOnly.key), 403, 'ip_not_allowed', 'ipAllowlist');
    await expectRefusal(openai(tenOnly.key).models.list(), 403, 'ip_not_allowed', 'ipAllowlist');
    const embeddingsOnly = await createKey({ operations: ['embeddings'] });
    await expectRefusal(chat(embeddingsOnly.key), 403, 'operation_not_allowed', 'operations');
    expect((await openai(embeddingsOnly.key).embeddings.create({ model: 'gpt-test', input: 'x' })).data).toHaveLength(
      1,
    );
    const gptOnly = await createKey({ models: ['gpt-*'] });
    await expectRefusal(chat(gptOnly.key, 'claude-test'), 403, 'model_not_allowed', 'models');
    await expectRefusal(chat(gptOnly.key, 'no-such-model'), 404, 'model_not_found');
    const mockBound = await createKey({ providerIds: [mockProvider] });
    await expectRefusal(chat(mockBound.key, 'gpt-test'), 403, 'provider_not_allowed', 'providerIds');
    expect((await chat(mockBound.key, 'mock-test')).choices[0].message.content).toBeTruthy();
    const shortLived = await createKey({ expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect((await chat(shortLived.key)).choices).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1600));
    await expectRefusal(chat(shortLived.key), 401, 'key_expired', 'expiresAt');
    const revoked = await createKey({});
    expect((await e2e.admin('DELETE', `/keys/${revoked.id}`)).status).toBe(200);
    await expectRefusal(chat(revoked.key), 401, 'invalid_api_key', 'revoked');
  });

  it('refuses a disabled key with key_disabled (401) and serves it again once enabled', async () => {
    const { id, key } = await createKey({});
    expect((await e2e.admin('POST', `/keys/${id}/disable`)).status).toBe(200);
    const refusal = await refusalOf(chat(key));
    expect(refusal).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(refusal).toMatchObject({ status: 401, code: 'key_disabled', error: { rule: 'disabled' } });
    expect(await refusalOf(openai(key).models.list())).toMatchObject({ status: 401, code: 'key_disabled' });
    expect((await e2e.admin('POST', `/keys/${id}/enable`)).status).toBe(200);
    expect((await chat(key)).choices).toHaveLength(1);
  });

  it('allows a key bound to 127.0.0.1/32 and ::1 over IPv4 and IPv6, and nothing else', async () => {
    const local = await createKey({ ipAllowlist: ['127.0.0.1/32', '::1'] });
    expect((await chat(local.key, 'gpt-test', gateway4)).choices).toHaveLength(1);
    expect((await chat(local.key, 'gpt-test', gateway6)).choices).toHaveLength(1);
    const v4only = await createKey({ ipAllowlist: ['127.0.0.1/32'] });
    expect(await refusalOf(chat(v4only.key, 'gpt-test', gateway6))).toMatchObject({
      status: 403,
      code: 'ip_not_allowed',
    });
    // X-Forwarded-For is ignored: no trusted proxy is configured.
    const spoofed = await fetch(`${gateway4}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${(await createKey({ ipAllowlist: ['10.0.0.0/8'] })).key}`,
        'x-forwarded-for': '10.0.0.1',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'gpt-test', messages: hello }),
    });
    expect(spoofed.status).toBe(403);
  });

  it('refuses malformed keys with 401 before any I/O: wrong prefix, bad checksum, a 10 kB key', async () => {
    const good = generateVirtualKey();
    const badChecksum = good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A');
    const before = policyRequests;
    for (const key of [`sk-proj-${good.slice(10)}`, badChecksum, `sk-sluice-${'A'.repeat(10_000)}`]) {
      const err = await refusalOf(chat(key));
      expect(err).toMatchObject({ status: 401, code: 'invalid_api_key' });
      const res = await fetch(`${gateway4}/models`, { headers: { 'x-api-key': key } });
      expect(res.status).toBe(401);
    }
    await nc.flush();
    expect(policyRequests).toBe(before);
    await chat(generateVirtualKey()).catch(() => undefined);
    await nc.flush();
    expect(policyRequests).toBe(before + 1); // the observer does see a well-formed key's request
  });

  it('refuses a disabled, then a revoked key on a second gateway process too, on the very next call after the admin response', async () => {
    const second = await e2e.startGateway();
    const { id, key } = await createKey({});
    const bothRefuse = async (what: string, code: string) => {
      for (const url of [gateway4, second.url]) {
        const refusal = await refusalOf(chat(key, 'gpt-test', url));
        expect([what, url, refusal]).toMatchObject([what, url, { status: 401, code }]);
      }
    };
    expect((await chat(key, 'gpt-test', second.url)).choices).toHaveLength(1);
    expect((await e2e.admin('POST', `/keys/${id}/disable`)).status).toBe(200);
    await bothRefuse('disable', 'key_disabled');
    expect((await e2e.admin('DELETE', `/keys/${id}`)).status).toBe(200);
    await bothRefuse('revocation', 'invalid_api_key');
  });
});
