import { request } from 'node:http';
import OpenAI from 'openai';
import { formatNanoUsd } from '@sluice/contracts';
import { mockChatCompletion, mockCompletion, mockVector } from '@sluice/mock-llm';
import { waitFor } from '@sluice/testing';
import { KEY_ID, PROVIDER_SECRET, priced, startHarness, type Harness } from '../../test/harness';

jest.setTimeout(60_000);

describe('proxying to the upstream (real NATS, mock upstream, openai SDK)', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness()));
  afterAll(() => h?.stop());

  const messages = [
    { role: 'system' as const, content: 'You are terse.' },
    { role: 'user' as const, content: 'What is a sluice?' },
  ];

  it('bills every call once even when a client repeats its x-request-id', async () => {
    for (let i = 0; i < 3; i++)
      await h
        .client()
        .chat.completions.create({ model: 'gpt-test', messages }, { headers: { 'x-request-id': 'same-id' } });
    const repeated = await waitFor(
      async () => {
        const found = (await h.usageMessages()).filter((m) => m.clientRequestId === 'same-id');
        return found.length === 3 ? found : null;
      },
      { timeoutMs: 5000, description: 'three usage messages for the repeated id' },
    );
    expect(new Set(repeated.map((m) => m.requestId)).size).toBe(3);
  });

  it('serves a chat completion with the real provider key and the upstream model, and meters it once', async () => {
    const { data, response } = await h
      .client()
      .chat.completions.create({ model: 'gpt-test', messages }, { headers: { 'x-request-id': 'chat-1' } })
      .withResponse();
    const expected = mockChatCompletion({ model: 'upstream-gpt', messages });
    expect(data.choices[0].message.content).toBe(expected.choices[0].message.content);
    expect(data.model).toBe('upstream-gpt');
    expect(data.usage).toEqual(expected.usage);
    expect(response.headers.get('x-sluice-provider')).toBe('prov-main');

    const billed = h.upstream.invoice.byRequest.get('chat-1')!;
    expect(billed.authorization).toBe(`Bearer ${PROVIDER_SECRET}`);
    expect(billed.model).toBe('upstream-gpt');
    expect(JSON.stringify(billed.headers)).not.toContain(h.key);
    expect(Object.keys(billed.headers).filter((k) => k.startsWith('x-stainless'))).toEqual([]);

    const usage = await h.usageOf('chat-1');
    expect(usage).toMatchObject({
      clientRequestId: 'chat-1',
      keyId: KEY_ID,
      model: 'gpt-test',
      upstreamModel: 'upstream-gpt',
      providerId: 'prov-main',
      operation: 'chat',
      stream: false,
      status: 200,
      inputTokens: billed.promptTokens,
      outputTokens: billed.completionTokens,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      estimated: false,
      ttfbMs: null,
      clientIp: expect.stringContaining('127.0.0.1'),
    });
    expect(usage.latencyMs).toBeGreaterThan(0);
    expect(Date.parse(usage.startedAt)).toBeLessThanOrEqual(Date.now());
    expect((await h.usageMessages()).filter((m) => m.clientRequestId === 'chat-1')).toHaveLength(1);
  });

  it('carries cached and reasoning tokens into the usage message', async () => {
    h.routes.set('gpt-reasoning', {
      providerId: 'prov-main',
      providerType: 'openai-compatible',
      baseUrl: null,
      upstreamModel: 'o3-upstream',
    });
    const long = [{ role: 'user' as const, content: 'x'.repeat(6000) }];
    await h
      .client()
      .chat.completions.create(
        { model: 'gpt-reasoning', messages: long, prompt_cache_key: 'tenant-1' },
        { headers: { 'x-request-id': 'reasoning-1' } },
      );
    const usage = await h.usageOf('reasoning-1');
    const expected = mockChatCompletion({ model: 'o3-upstream', messages: long, prompt_cache_key: 'tenant-1' }).usage;
    expect(usage).toMatchObject({
      inputTokens: expected.prompt_tokens,
      cachedInputTokens: expected.prompt_tokens_details!.cached_tokens,
      outputTokens: expected.completion_tokens,
      reasoningTokens: expected.completion_tokens_details!.reasoning_tokens,
    });
    expect(usage.cachedInputTokens).toBeGreaterThan(0);
    expect(usage.reasoningTokens).toBeGreaterThan(0);
  });

  it('reports the call’s cost in x-sluice-cost-usd, cached input at the cached rate', async () => {
    const long = [{ role: 'user' as const, content: 'y'.repeat(6000) }];
    const { data, response } = await h
      .client()
      .chat.completions.create({ model: 'gpt-priced', messages: long, prompt_cache_key: 'tenant-2' })
      .withResponse();
    const u = data.usage!;
    const cached = u.prompt_tokens_details!.cached_tokens!;
    expect(cached).toBeGreaterThan(0);
    expect(response.headers.get('x-sluice-cost-usd')).toBe(
      priced({ input: u.prompt_tokens, cached, output: u.completion_tokens }),
    );
    expect(response.headers.get('x-sluice-cost-usd')).toMatch(/^\d+(\.\d{1,9})?$/);
  });

  it('reports a stream’s cost in an HTTP trailer, equal to what it is billed, since headers leave before the usage is known', async () => {
    const { data, response } = await h
      .client()
      .chat.completions.create(
        { model: 'gpt-priced', messages, stream: true },
        { headers: { 'x-request-id': 'stream-cost' } },
      )
      .withResponse();
    expect(response.headers.get('x-sluice-cost-usd')).toBeNull();
    expect(response.headers.get('trailer')).toBe('x-sluice-cost-usd');
    for await (const chunk of data) expect(chunk.object).toBe('chat.completion.chunk');

    const trailers = await new Promise<NodeJS.Dict<string>>((resolve, reject) => {
      const req = request(
        `${h.gateway.url}/chat/completions`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${h.key}`,
            'content-type': 'application/json',
            'x-request-id': 'stream-cost-raw',
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.trailers));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'gpt-priced', messages, stream: true }));
    });
    const billed = await h.usageOf('stream-cost-raw');
    expect(billed.outputTokens).toBeGreaterThan(0);
    expect(trailers['x-sluice-cost-usd']).toBe(priced({ input: billed.inputTokens, output: billed.outputTokens }));
    expect(formatNanoUsd(billed.costNanos!)).toBe(trailers['x-sluice-cost-usd']);
  });

  it('passes embeddings through in the SDK’s default base64 encoding, and legacy completions', async () => {
    const emb = await h
      .client()
      .embeddings.create(
        { model: 'emb-test', input: ['alpha', 'beta'], dimensions: 16 },
        { headers: { 'x-request-id': 'emb-1' } },
      );
    expect(emb.data[0].embedding).toEqual(Array.from(mockVector('alpha', 16)));
    expect(h.upstream.invoice.byRequest.get('emb-1')!.model).toBe('upstream-embedding');
    expect(await h.usageOf('emb-1')).toMatchObject({
      operation: 'embeddings',
      inputTokens: emb.usage.prompt_tokens,
      outputTokens: 0,
      estimated: false,
    });

    const cmpl = await h
      .client()
      .completions.create(
        { model: 'gpt-test', prompt: 'Say hi', max_tokens: 5 },
        { headers: { 'x-request-id': 'cmpl-1' } },
      );
    expect(cmpl.choices[0]).toMatchObject({
      text: mockCompletion({ model: 'x', prompt: 'Say hi', max_tokens: 5 }).choices[0].text,
      finish_reason: 'length',
    });
    expect(await h.usageOf('cmpl-1')).toMatchObject({ operation: 'completions', outputTokens: 5 });
  });

  it('serves the built-in mock provider in-process, with no credential and no network', async () => {
    const calls = h.upstream.invoice.calls;
    const c = await h
      .client()
      .chat.completions.create({ model: 'gpt-mock', messages }, { headers: { 'x-request-id': 'mock-1' } });
    expect(c.choices[0].message.content).toBe(
      mockChatCompletion({ model: 'mock-gpt', messages }).choices[0].message.content,
    );
    expect(h.upstream.invoice.calls).toBe(calls);
    expect(await h.usageOf('mock-1')).toMatchObject({
      providerId: 'prov-mock',
      inputTokens: c.usage!.prompt_tokens,
      outputTokens: c.usage!.completion_tokens,
    });
  });

  it('estimates usage when the upstream reports none, never below its invoice, and says so', async () => {
    const c = await h
      .client()
      .chat.completions.create({ model: 'gpt-silent', messages }, { headers: { 'x-request-id': 'silent-1' } });
    expect(c.usage).toBeUndefined();
    const billed = h.silent.invoice.byRequest.get('silent-1')!;
    const usage = await h.usageOf('silent-1');
    // A model Sluice has no tokenizer for is billed one token per byte: never below the invoice.
    expect(usage.estimated).toBe(true);
    expect(usage.inputTokens).toBeGreaterThanOrEqual(billed.promptTokens);
    expect(usage.outputTokens).toBeGreaterThanOrEqual(billed.completionTokens);
  });

  it('passes an upstream OpenAI error through with its status, and meters the call', async () => {
    const err = await h
      .client()
      .chat.completions.create({ model: 'fault-error-500', messages }, { headers: { 'x-request-id': 'fault-500' } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err).toMatchObject({ status: 500, type: 'server_error', code: null, param: null });
    expect(err.headers.get('x-request-id')).toBe('fault-500');
    const limited = await h
      .client()
      .chat.completions.create({ model: 'fault-error-429', messages })
      .catch((e) => e);
    expect(limited).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(await h.usageOf('fault-500')).toMatchObject({ status: 500, inputTokens: 0, outputTokens: 0 });
  });

  it('turns a provider-key rejection into a 502 that reveals nothing of the provider key', async () => {
    const err = await h
      .client()
      .chat.completions.create({ model: 'fault-error-401', messages })
      .catch((e) => e);
    expect(err).toMatchObject({ status: 502, code: 'upstream_auth_error' });
    expect(JSON.stringify(err.error)).not.toContain(PROVIDER_SECRET.slice(0, 8));
  });

  it('answers 502 upstream_error for an HTML error page, a redirect (never followed) and an unreachable upstream', async () => {
    for (const model of ['fault-error-html-502', 'fault-redirect', 'gpt-dead']) {
      const err = await h
        .client()
        .chat.completions.create({ model, messages })
        .catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect(err).toMatchObject({ status: 502, code: 'upstream_error', type: 'server_error' });
    }
  });

  it('names what keeps it from reaching the upstream, without the secret: a key no HTTP header can carry, a refused connection', async () => {
    // A provider key stored before the admin API checked it (the README's own `sk-…` placeholder).
    const unsendable = `sk-…${PROVIDER_SECRET.slice(3)}`;
    const upstreamUrl = h.credentials[0].baseUrl;
    h.credentials.push({
      providerId: 'prov-unsendable',
      type: 'openai-compatible',
      baseUrl: upstreamUrl,
      apiKey: unsendable,
      secretVersion: 1,
    });
    h.routes.set('gpt-unsendable', {
      providerId: 'prov-unsendable',
      providerType: 'openai-compatible',
      baseUrl: upstreamUrl,
      upstreamModel: 'upstream-gpt',
    });
    const { response } = await h
      .client()
      .chat.completions.create({ model: 'gpt-unsendable', messages })
      .withResponse()
      .catch((e) => ({ response: e }));
    expect(response).toMatchObject({ status: 502, code: 'upstream_credential_invalid', type: 'server_error' });
    expect(response.message).toMatch(/provider key .* characters an HTTP header cannot carry/);
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(JSON.stringify(response.error)).not.toContain(PROVIDER_SECRET.slice(3, 12));

    const refused = await h
      .client()
      .chat.completions.create({ model: 'gpt-dead', messages })
      .catch((e) => e);
    expect(refused).toMatchObject({ status: 502, code: 'upstream_error' });
    expect(refused.message).toContain('refused the connection (ECONNREFUSED)');
  });

  it('never writes a secret into its logs', () => {
    const logs = h.logs.join('');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(h.key);
    expect(logs).not.toContain(PROVIDER_SECRET);
  });
});
