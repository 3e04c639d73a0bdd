import { modelPrice } from '@sluice/contracts';
import { PROVIDER_SECRET, rawPost, startHarness, type Harness } from '../../test/harness';
import {
  dialectBody,
  dialectHeaders,
  DIALECT_PATHS,
  errorOf,
  expectedError,
  promptBoundOf,
  routeEveryDialect,
} from '../../test/dialect-calls';
import { startHostileUpstream, type HostileUpstream } from '../../test/hostile-upstream';
import { callEstimate } from './estimate';

jest.setTimeout(60_000);

/**
 * An answer the gateway cannot read in full is still an answer the provider bills: the call is
 * billed its worst case (the prompt's bound, the output cap × n), flagged estimated, never $0.
 */
describe('a call whose answer the gateway could not read is billed at its worst case (real NATS, hostile upstream)', () => {
  let h: Harness;
  let hostile: HostileUpstream;
  beforeAll(async () => {
    // Short upstream timeouts, and a call deadline longer than them, so each is seen to end the call.
    [h, hostile] = await Promise.all([
      startHarness({
        gateway: {
          maxUpstreamBodyBytes: 1024 * 1024,
          upstreamHeadersTimeoutMs: 500,
          upstreamBodyTimeoutMs: 500,
          maxCallMs: 3000,
        },
      }),
      startHostileUpstream(),
    ]);
    h.credentials.push(
      {
        providerId: 'prov-hostile',
        type: 'openai-compatible',
        baseUrl: hostile.url,
        apiKey: PROVIDER_SECRET,
        secretVersion: 1,
      },
      {
        providerId: 'prov-hostile-anthropic',
        type: 'anthropic',
        baseUrl: hostile.url,
        apiKey: PROVIDER_SECRET,
        secretVersion: 1,
      },
    );
    for (const model of ['big-json', 'reset-json', 'stall-json', 'held', 'drip']) {
      h.routes.set(`gpt-${model}`, {
        providerId: 'prov-hostile',
        providerType: 'openai-compatible',
        baseUrl: hostile.url,
        upstreamModel: model,
      });
    }
    h.routes.set('claude-huge-json', {
      providerId: 'prov-hostile-anthropic',
      providerType: 'anthropic',
      baseUrl: hostile.url,
      upstreamModel: 'huge-json',
    });
    routeEveryDialect(h, hostile.url, ['big-json', 'reset-json', 'stall-json', 'drip', 'not-json']);
    // Anthropic's prices, cache writes above input: the worst case is every prompt token written.
    const haiku = modelPrice({
      inputUsdPerMTok: 1,
      cachedInputUsdPerMTok: 0.1,
      cacheWriteUsdPerMTok: 1.25,
      outputUsdPerMTok: 5,
    });
    for (const model of ['huge-json', 'held', 'no-usage-anthropic'])
      h.routes.set(`claude-${model}-priced`, {
        providerId: 'prov-hostile-anthropic',
        providerType: 'anthropic',
        baseUrl: hostile.url,
        upstreamModel: model,
        price: haiku,
      });
    h.routes.set('claude-cut-anthropic', {
      providerId: 'prov-hostile-anthropic',
      providerType: 'anthropic',
      baseUrl: hostile.url,
      upstreamModel: 'cut-anthropic',
    });
  });
  afterAll(async () => {
    await h?.stop();
    await hostile?.close();
  });

  const body = (model: string, extra: Record<string, unknown> = {}) => ({
    model,
    messages: [{ role: 'user', content: 'Tell me everything' }],
    max_tokens: 300,
    ...extra,
  });
  const call = (requestBody: Record<string, unknown>, requestId: string) =>
    rawPost(h, '/chat/completions', JSON.stringify(requestBody), {
      authorization: `Bearer ${h.key}`,
      'x-request-id': requestId,
    });
  /** The prompt's bound as the reservation counts it. */
  const promptBound = (requestBody: Record<string, unknown>) => callEstimate('chat', requestBody).inputTokensBound!;

  it.each([
    ['a 2xx answer above the gateway’s limit', 'gpt-big-json'],
    ['a 2xx answer whose connection is reset halfway', 'gpt-reset-json'],
    ['a 2xx answer that falls silent halfway', 'gpt-stall-json'],
    ['an Anthropic answer above the translation’s 16 MB limit', 'claude-huge-json'],
  ])('bills %s at the prompt’s bound and the output cap × n', async (_what, model) => {
    const requestBody = body(model, model.startsWith('claude') ? {} : { n: 2 });
    const res = await call(requestBody, `unread-${model}`);
    expect([res.status, res.json.error.code]).toEqual([502, 'upstream_error']);
    const usage = await h.usageOf(`unread-${model}`);
    const choices = model.startsWith('claude') ? 1 : 2;
    expect(usage).toMatchObject({
      status: 502,
      estimated: true,
      inputTokens: promptBound(requestBody),
      outputTokens: 300 * choices,
    });
  });

  it.each([
    ['an Anthropic answer it could not read', 'claude-huge-json-priced', {}, 300],
    ['an Anthropic stream held until the headers deadline', 'claude-held-priced', { stream: true }, 0],
  ])(
    'prices %s as the reservation does: every prompt token a 1-hour cache write, at twice the input price',
    async (_what, model, extra, output) => {
      const requestBody = body(model, extra);
      const requestId = `worst-priced-${model}`;
      const res = await call(requestBody, requestId);
      expect(res.status).toBe(502);
      const bound = promptBound(requestBody);
      expect(await h.usageOf(requestId)).toMatchObject({
        status: 502,
        estimated: true,
        inputTokens: bound,
        cacheWriteInputTokens: bound,
        outputTokens: output,
        // A 1-hour write at twice the $1 input, and $5 per million tokens: 2,000 and 5,000 nano-dollars a token.
        costNanos: bound * 2000 + output * 5000,
      });
    },
  );

  it.each([
    ['a chat completion', '/chat/completions', { max_tokens: 300 }],
    ['a /v1/messages call', '/messages', { max_tokens: 300 }],
  ])(
    'prices %s Anthropic answered without usage as the reservation does: its prompt at the dearest input rate',
    async (_what, path, extra) => {
      const requestId = `no-usage-${path.slice(1).replace('/', '-')}`;
      const requestBody = { ...body('claude-no-usage-anthropic-priced'), ...extra };
      const res = await fetch(`${h.gateway.url}${path}`, {
        method: 'POST',
        headers: dialectHeaders(h, requestId),
        body: JSON.stringify(requestBody),
      });
      expect(res.status).toBe(200);
      await res.text();
      const usage = await h.usageOf(requestId);
      expect(usage).toMatchObject({ status: 200, estimated: true });
      expect(usage.inputTokens).toBeGreaterThan(0);
      expect(usage.outputTokens).toBeGreaterThan(0);
      expect(usage.cacheWriteInputTokens).toBe(usage.inputTokens);
      expect(usage.costNanos).toBe(usage.inputTokens * 2000 + usage.outputTokens * 5000);
    },
  );

  it('bills an upstream that held a non-streamed request until the headers deadline at its worst case (it generates before it answers)', async () => {
    const requestBody = body('gpt-held');
    const res = await call(requestBody, 'held-json');
    expect(res.status).toBe(502);
    expect(await h.usageOf('held-json')).toMatchObject({
      status: 502,
      estimated: true,
      inputTokens: promptBound(requestBody),
      outputTokens: 300,
    });
  });

  it('bills an upstream that held a stream request until the headers deadline at the prompt’s bound (it read the prompt)', async () => {
    const requestBody = body('gpt-held', { stream: true });
    const res = await call(requestBody, 'held-stream');
    expect(res.status).toBe(502);
    expect(await h.usageOf('held-stream')).toMatchObject({
      status: 502,
      estimated: true,
      inputTokens: promptBound(requestBody),
      outputTokens: 0,
    });
  });

  it('ends a stream request answered with never-ending JSON at the call’s deadline, billed at its worst case', async () => {
    const requestBody = body('gpt-drip', { stream: true });
    const started = performance.now();
    const res = await fetch(`${h.gateway.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json', 'x-request-id': 'drip-stream' },
      body: JSON.stringify(requestBody),
      signal: AbortSignal.timeout(15_000),
    });
    expect(res.status).toBe(504);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await h.usageOf('drip-stream')).toMatchObject({
      status: 504,
      estimated: true,
      inputTokens: promptBound(requestBody),
      outputTokens: 300,
    });
  });

  describe.each(DIALECT_PATHS.filter((d) => d.op !== 'chat'))('$name', (d) => {
    const post = async (requestBody: Record<string, unknown>, requestId: string) => {
      const res = await fetch(`${h.gateway.url}${d.path}`, {
        method: 'POST',
        headers: dialectHeaders(h, requestId),
        body: JSON.stringify(requestBody),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      return { status: res.status, json: JSON.parse(text || 'null') };
    };

    it.each([
      ['a 2xx answer above the gateway’s limit', 'big-json'],
      ['a 2xx answer whose connection is reset halfway', 'reset-json'],
      ['a 2xx answer that falls silent halfway', 'stall-json'],
    ])(
      'bills %s at the prompt’s bound and the output cap, and answers a 502 in its own shape',
      async (_what, model) => {
        const requestBody = dialectBody(d, model);
        const requestId = `unread-${d.prefix}-${model}`;
        const res = await post(requestBody, requestId);
        expect(errorOf(d, res.status, res.json)).toEqual(expectedError(d, 502));
        expect(await h.usageOf(requestId)).toMatchObject({
          status: 502,
          estimated: true,
          inputTokens: promptBoundOf(d, requestBody),
          outputTokens: 300,
        });
      },
    );

    // Native answers go to the client as they came, billed as chat bills a 2xx without usage; a
    // translated one the gateway cannot rebuild is a 502, and the upstream still served it.
    if (d.prefix === 'mtr' || d.prefix === 'rbr') {
      it('bills a 2xx answer that is not JSON at its worst case, and answers a 502 in its own shape', async () => {
        const requestBody = dialectBody(d, 'not-json');
        const requestId = `not-json-${d.prefix}`;
        const res = await post(requestBody, requestId);
        expect(errorOf(d, res.status, res.json)).toEqual(expectedError(d, 502));
        expect(await h.usageOf(requestId)).toMatchObject({
          status: 502,
          estimated: true,
          inputTokens: promptBoundOf(d, requestBody),
          outputTokens: 300,
        });
      });
    }

    it('ends a stream request answered with never-ending JSON at the call’s deadline: a 504 in its own shape, billed at its worst case', async () => {
      const requestBody = dialectBody(d, 'drip', { stream: true });
      const requestId = `drip-stream-${d.prefix}`;
      const started = performance.now();
      const res = await post(requestBody, requestId);
      expect(errorOf(d, res.status, res.json)).toEqual(expectedError(d, 504));
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(await h.usageOf(requestId)).toMatchObject({
        status: 504,
        estimated: true,
        inputTokens: promptBoundOf(d, requestBody),
        outputTokens: 300,
      });
    });
  });

  // Anthropic reports a call's input (and cache) tokens in message_start, before any output: a
  // stream cut after it is billed that input, not the prompt's bound (docs/limits.md).
  it.each([
    [
      'a Messages stream, native',
      '/messages',
      {
        model: 'claude-cut-anthropic',
        max_tokens: 300,
        stream: true,
        messages: [{ role: 'user', content: 'Tell me a story' }],
      },
    ],
    [
      'a chat stream',
      '/chat/completions',
      {
        model: 'claude-cut-anthropic',
        max_tokens: 300,
        stream: true,
        messages: [{ role: 'user', content: 'Tell me a story' }],
      },
    ],
    [
      'a Responses stream, bridged',
      '/responses',
      { model: 'claude-cut-anthropic', max_output_tokens: 300, stream: true, store: false, input: 'Tell me a story' },
    ],
  ])(
    'bills %s Anthropic cut after message_start the input and cache tokens message_start reported',
    async (_what, path, requestBody) => {
      const requestId = `cut-anthropic-${path.slice(1).replace('/', '-')}`;
      const res = await fetch(`${h.gateway.url}${path}`, {
        method: 'POST',
        headers: dialectHeaders(h, requestId),
        body: JSON.stringify(requestBody),
        signal: AbortSignal.timeout(15_000),
      });
      await res.text().catch(() => '');
      const usage = await h.usageOf(requestId);
      expect(usage).toMatchObject({
        status: 502,
        estimated: true,
        inputTokens: 1057,
        cachedInputTokens: 1000,
        cacheWriteInputTokens: 50,
      });
      expect(usage.outputTokens).toBeGreaterThanOrEqual(4);
    },
  );
});
