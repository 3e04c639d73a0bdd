import OpenAI from 'openai';
import { Portkey } from 'portkey-ai';
import { generateVirtualKey } from '@sluice/contracts';
import { RawHttp, waitFor } from '@sluice/testing';
import { rawPost, startHarness, type Harness } from '../../../test/harness';

jest.setTimeout(60_000);

describe('ingress (real NATS, openai SDK)', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness()));
  afterAll(() => h?.stop());

  const hello = [{ role: 'user' as const, content: 'Hello' }];

  it('refuses a missing key with 401, before asking policy', async () => {
    const before = h.authorizeRequests.length;
    const res = await rawPost(h, '/chat/completions', JSON.stringify({ model: 'gpt-test', messages: hello }), {});
    expect(res.status).toBe(401);
    expect(res.json).toEqual({
      error: {
        message: expect.stringContaining("You didn't provide an API key"),
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(h.authorizeRequests.length).toBe(before);
  });

  it('refuses a malformed key with 401 invalid_api_key before any I/O, and never echoes it', async () => {
    const before = h.authorizeRequests.length;
    const typo = h.key.slice(0, -1) + (h.key.endsWith('a') ? 'b' : 'a');
    for (const apiKey of ['sk-sluice-not-a-real-key', typo, `sk-proj-${'x'.repeat(60)}`]) {
      const err = await new OpenAI({ apiKey, baseURL: h.gateway.url, maxRetries: 0 }).chat.completions
        .create({ model: 'gpt-test', messages: hello })
        .catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(err).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });
      expect(JSON.stringify(err.error)).not.toContain(apiKey.slice(10, 20));
    }
    expect(h.authorizeRequests.length).toBe(before);
    expect(h.logs.join('')).not.toContain(typo);
  });

  it('takes the key from x-api-key and the Portkey headers too, and sends policy only its hash', async () => {
    for (const header of ['x-api-key', 'api-key', 'x-portkey-api-key', 'x-portkey-virtual-key']) {
      const res = await rawPost(h, '/chat/completions', JSON.stringify({ model: 'gpt-mock', messages: hello }), {
        [header]: h.key,
        authorization: 'Bearer DUMMY-KEY',
      });
      expect(res.status).toBe(200);
    }
    const seen = JSON.stringify(h.authorizeRequests);
    expect(seen).not.toContain(h.key);
    expect(h.authorizeRequests.at(-1)).toMatchObject({
      model: 'gpt-mock',
      operation: 'chat',
      clientIp: expect.stringMatching(/127\.0\.0\.1/),
    });
  });

  it('serves the Portkey SDK pointed at the gateway, with the key as apiKey or as virtualKey', async () => {
    for (const options of [{ apiKey: h.key }, { apiKey: 'portkey-placeholder', virtualKey: h.key }]) {
      const portkey = new Portkey({ ...options, baseURL: h.gateway.url, traceID: 'portkey-trace-1' });
      const completion = await portkey.chat.completions.create({ model: 'gpt-mock', messages: hello });
      expect(completion.choices[0]?.message?.content).toContain('Hello');
    }
  });

  it('answers a deny from policy with its error, and a valid key policy does not know with 401', async () => {
    const err = await h
      .client()
      .chat.completions.create({ model: 'not-in-catalog', messages: hello })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ status: 404, code: 'model_not_found', param: null });
    const unknown = await new OpenAI({ apiKey: generateVirtualKey(), baseURL: h.gateway.url, maxRetries: 0 }).models
      .list()
      .catch((e) => e);
    expect(unknown).toMatchObject({ status: 401, code: 'invalid_api_key' });
  });

  it('validates the body before authorizing: 400 with the parameter named', async () => {
    const before = h.authorizeRequests.length;
    const empty = await h
      .client()
      .chat.completions.create({ model: 'gpt-test', messages: [] })
      .catch((e) => e);
    expect(empty).toBeInstanceOf(OpenAI.BadRequestError);
    expect(empty).toMatchObject({ status: 400, param: 'messages', code: 'empty_array', type: 'invalid_request_error' });
    const noInput = await h
      .client()
      .embeddings.create({ model: 'emb-test' } as never)
      .catch((e) => e);
    expect(noInput).toMatchObject({ status: 400, param: 'input' });
    const badJson = await rawPost(h, '/chat/completions', '{"model": "gpt-test", "messages": [', {
      authorization: `Bearer ${h.key}`,
    });
    expect(badJson.status).toBe(400);
    expect(badJson.json.error).toEqual({
      message: expect.stringContaining('could not parse the JSON body'),
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
    expect(h.authorizeRequests.length).toBe(before);
  });

  it('answers JSON nested 100,000 levels deep with a 400 in OpenAI’s shape, whichever field holds it', async () => {
    const deep = `${'['.repeat(100_000)}"x"${']'.repeat(100_000)}`;
    const before = h.authorizeRequests.length;
    const bodies: [string, string][] = [
      ['/chat/completions', `{"model":"gpt-test","messages":[{"role":"user","content":${deep}}]}`],
      ['/chat/completions', `{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"tools":${deep}}`],
      ['/completions', `{"model":"gpt-test","prompt":${deep}}`],
      ['/embeddings', `{"model":"emb-test","input":${deep}}`],
    ];
    for (const [path, body] of bodies) {
      const res = await rawPost(h, path, body, { authorization: `Bearer ${h.key}` });
      expect([path, res.status, res.json?.error]).toEqual([
        path,
        400,
        {
          type: 'invalid_request_error',
          code: 'json_too_deep',
          param: null,
          message: expect.stringContaining('128 levels'),
        },
      ]);
    }
    expect(h.authorizeRequests.length).toBe(before);
  });

  it('answers a request it cannot read as HTTP (headers above 16 KB, garbage) in OpenAI’s shape, and hangs up', async () => {
    for (const [head, status, code] of [
      [
        `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        431,
        'request_header_fields_too_large',
      ],
      ['NOT HTTP AT ALL\r\n\r\n', 400, null],
    ] as const) {
      const client = await RawHttp.open(h.gateway.url);
      client.write(head);
      await waitFor(() => client.closed, { timeoutMs: 5000, description: 'the gateway to answer and hang up' });
      expect([client.status, client.json]).toEqual([
        status,
        { error: { type: 'invalid_request_error', code, param: null, message: expect.any(String) } },
      ]);
    }
  });

  it('echoes a safe x-request-id (or Portkey trace id) on success and errors, and replaces an unsafe one', async () => {
    const ok = await h
      .client()
      .chat.completions.create({ model: 'gpt-mock', messages: hello }, { headers: { 'x-request-id': 'client-req-1' } })
      .withResponse();
    expect(ok.response.headers.get('x-request-id')).toBe('client-req-1');
    expect(ok.response.headers.get('x-sluice-provider')).toBe('prov-mock');
    expect(ok.request_id).toBe('client-req-1');
    const traced = await rawPost(h, '/chat/completions', '{}', {
      authorization: `Bearer ${h.key}`,
      'x-portkey-trace-id': 'trace-7',
    });
    expect([traced.status, traced.headers.get('x-request-id')]).toEqual([400, 'trace-7']);
    const unsafe = await rawPost(h, '/chat/completions', '{}', {
      authorization: `Bearer ${h.key}`,
      'x-request-id': 'a b<script>',
    });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('lists and retrieves the models the key may use', async () => {
    const page = await h.client().models.list();
    expect(page.data).toEqual([
      { id: 'gpt-test', object: 'model', created: 1_700_000_000, owned_by: 'sluice' },
      { id: 'gpt-mock', object: 'model', created: 1_700_000_000, owned_by: 'sluice' },
    ]);
    expect(await h.client().models.retrieve('gpt-mock')).toMatchObject({ id: 'gpt-mock', object: 'model' });
    await expect(h.client().models.retrieve('gpt-other')).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
  });

  it('answers 404 in OpenAI’s shape for an unknown /v1 path', async () => {
    const unknown = await rawPost(h, '/images/generations', '{}', { authorization: `Bearer ${h.key}` });
    expect(unknown).toMatchObject({
      status: 404,
      json: { error: { type: 'invalid_request_error', message: 'Invalid URL (POST /v1/images/generations)' } },
    });
  });

  it('fails closed with 503 when no policy service answers', async () => {
    const isolated = await startHarness();
    try {
      // Take the policy responders away: NATS answers "no responders" at once.
      await isolated.nc.drain();
      const err = await isolated
        .client()
        .chat.completions.create({ model: 'gpt-test', messages: hello })
        .catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect(err).toMatchObject({ status: 503, type: 'service_unavailable_error' });
      expect(err.headers.get('x-request-id')).toBeTruthy();
    } finally {
      await isolated.gateway.close();
      await Promise.all([isolated.upstream.close(), isolated.slow.close(), isolated.silent.close()]);
      await isolated.nats.stop();
    }
  });
});
