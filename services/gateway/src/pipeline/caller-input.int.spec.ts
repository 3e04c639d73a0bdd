import { connect } from 'node:net';
import { rawPost, startHarness, type Harness } from '../../test/harness';

jest.setTimeout(60_000);

/** One raw HTTP/1.1 request, for header bytes no HTTP client library would send. */
function rawRequest(url: string, head: string, body: string): Promise<{ status: number; headers: string; json: any }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      socket.end(`${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
    );
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [headers, payload] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)];
      let json: unknown = null;
      try {
        json = JSON.parse(payload);
      } catch {
        json = payload;
      }
      resolve({ status: Number(headers.split(' ')[1]), headers, json });
    });
  });
}

describe('caller strings Postgres cannot store are refused at the edge (real NATS)', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness()));
  afterAll(() => h?.stop());

  const body = (extra: object = {}) =>
    JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'Hello' }], ...extra });
  const refused = (param: string) => ({
    error: {
      message: expect.stringContaining(`'${param}'`),
      type: 'invalid_request_error',
      param,
      code: expect.any(String),
    },
  });

  it.each([
    ['a NUL in user', { user: 'alice\u0000' }, {}, 'user'],
    ['an unpaired surrogate in user', { user: 'alice \ud800' }, {}, 'user'],
    ['a NUL in a metadata value', {}, { 'x-portkey-metadata': '{"team":"search\\u0000"}' }, 'x-portkey-metadata'],
    ['a NUL in a metadata name', {}, { 'x-portkey-metadata': '{"te\\u0000am":"search"}' }, 'x-portkey-metadata'],
    [
      'an unpaired surrogate in metadata _user',
      {},
      { 'x-portkey-metadata': '{"_user":"\\udc00"}' },
      'x-portkey-metadata',
    ],
  ])(
    'answers 400 naming the field for %s, before policy is asked and without a usage record',
    async (_what, extra, headers, param) => {
      const before = h.authorizeRequests.length;
      const res = await rawPost(h, '/chat/completions', body(extra), { authorization: `Bearer ${h.key}`, ...headers });
      expect([res.status, res.json]).toEqual([400, refused(param)]);
      expect(h.authorizeRequests.length).toBe(before);
      const requestId = res.headers.get('x-request-id')!;
      expect((await h.usageMessages()).some((m) => m.requestId === requestId)).toBe(false);
    },
  );

  it('answers an OpenAI-shaped 400 naming x-request-id when that header holds a NUL', async () => {
    const { host } = new URL(h.gateway.url);
    const head = `POST /v1/chat/completions HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer ${h.key}\r\ncontent-type: application/json\r\nx-request-id: abc\u0000def\r\n`;
    const res = await rawRequest(h.gateway.url, head, body());
    expect([res.status, res.json]).toEqual([
      400,
      {
        error: {
          message: expect.stringContaining("'x-request-id'"),
          type: 'invalid_request_error',
          param: 'x-request-id',
          code: 'invalid_header',
        },
      },
    ]);
    expect(res.headers).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
  });

  it('stores what the caller sent: a well-formed emoji, raw UTF-8 metadata, and serves the next ordinary call', async () => {
    const res = await rawPost(h, '/chat/completions', body({ user: 'bob 😀' }), {
      authorization: `Bearer ${h.key}`,
      'x-request-id': 'caller-input-ok',
      'x-portkey-metadata': Buffer.from('{"team":"équipe"}', 'utf8').toString('latin1'),
    });
    expect(res.status).toBe(200);
    const usage = await h.usageOf('caller-input-ok');
    expect([usage.user, usage.metadata]).toEqual(['bob 😀', { team: 'équipe' }]);
  });
});

describe('every dialect checks what the caller sent at the edge, in its own error shape (real NATS)', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness()));
  afterAll(() => h?.stop());

  const anthropicHeaders = (): Record<string, string> => ({ 'x-api-key': h.key, 'anthropic-version': '2023-06-01' });
  const messages = (extra: object = {}) =>
    JSON.stringify({ model: 'gpt-mock', max_tokens: 16, messages: [{ role: 'user', content: 'Hello' }], ...extra });
  const responses = (extra: object = {}) =>
    JSON.stringify({ model: 'gpt-mock', input: 'Hello', store: false, ...extra });
  const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const anthropicRefusal = (words: string | RegExp) => ({
    type: 'error',
    error: {
      type: 'invalid_request_error',
      message: typeof words === 'string' ? expect.stringContaining(words) : expect.stringMatching(words),
    },
    request_id: expect.any(String),
  });
  const openAiRefusal = (param: string | null, code: string) => ({
    error: { type: 'invalid_request_error', param, code, message: expect.any(String) },
  });

  it.each([
    [
      'a NUL in metadata.user_id',
      '/messages',
      messages({ metadata: { user_id: 'alice\u0000' } }),
      "'metadata.user_id'",
    ],
    [
      'an unpaired surrogate in metadata.user_id',
      '/messages',
      messages({ metadata: { user_id: 'alice \ud800' } }),
      "'metadata.user_id'",
    ],
    [
      'a body nested deeper than 128 levels',
      '/messages',
      messages({ system: [{ type: 'text', text: 'x', extra: JSON.parse(deep(200)) }] }),
      'levels deep',
    ],
    [
      'a body nested deeper than 128 levels, counted',
      '/messages/count_tokens',
      `{"model":"gpt-mock","messages":[{"role":"user","content":${deep(100_000)}}]}`,
      'levels deep',
    ],
    ['a model name of 300 characters', '/messages', messages({ model: 'm'.repeat(300) }), /^model: .*256/],
    [
      'a model name of 300 characters, counted',
      '/messages/count_tokens',
      messages({ model: 'm'.repeat(300) }),
      /^model: .*256/,
    ],
  ])(
    '/v1/messages answers 400 in Anthropic’s shape for %s, before policy is asked',
    async (_what, path, body, words) => {
      const before = h.authorizeRequests.length;
      const res = await rawPost(h, path, body, anthropicHeaders());
      expect([res.status, res.json]).toEqual([400, anthropicRefusal(words)]);
      expect(h.authorizeRequests.length).toBe(before);
    },
  );

  it.each([
    ['a NUL in user', responses({ user: 'bob\u0000' }), 'user', 'invalid_value'],
    ['an unpaired surrogate in user', responses({ user: '\udfff' }), 'user', 'invalid_value'],
    ['a body nested deeper than 128 levels', `{"model":"gpt-mock","input":${deep(100_000)}}`, null, 'json_too_deep'],
    ['a model name of 300 characters', responses({ model: 'm'.repeat(300) }), 'model', 'string_above_max_length'],
  ])('/v1/responses answers 400 in OpenAI’s shape for %s, before policy is asked', async (_what, body, param, code) => {
    const before = h.authorizeRequests.length;
    const res = await rawPost(h, '/responses', body, { authorization: `Bearer ${h.key}` });
    expect([res.status, res.json]).toEqual([400, openAiRefusal(param, code)]);
    expect(h.authorizeRequests.length).toBe(before);
  });

  it('answers a NUL in the Claude Code session header on /v1/messages with a 400 naming it, in Anthropic’s shape', async () => {
    const { host } = new URL(h.gateway.url);
    const body = messages();
    const head = `POST /v1/messages HTTP/1.1\r\nhost: ${host}\r\nx-api-key: ${h.key}\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\nx-claude-code-session-id: sess\u0000ion\r\n`;
    const res = await rawRequest(h.gateway.url, head, body);
    expect([res.status, res.json]).toEqual([400, anthropicRefusal("'x-claude-code-session-id'")]);
  });
});
