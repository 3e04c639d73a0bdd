import { startHarness, type Harness } from '../../test/harness';

jest.setTimeout(60_000);

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The headers whose names and values do not differ from call to call. */
const VARYING = new Set(['date', 'x-request-id', 'request-id', 'content-length', 'keep-alive']);

/**
 * The inference paths in JSON are answered by the fast lane, everything else on them by Fastify's
 * routes: a client must not be able to tell which, whatever it sends.
 */
describe('the fast lane and the Fastify routes behind it answer alike (real NATS, real HTTP)', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness({ gateway: { bodyLimit: 64 * 1024 } })));
  afterAll(() => h?.stop());

  const base = () => h.gateway.url.replace(/\/v1$/, '');
  async function send(path: string, type: string | null, body: string, key: string | null = h.key): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (type) headers['content-type'] = type;
    if (key) headers.authorization = `Bearer ${key}`;
    const res = await fetch(`${base()}${path}`, { method: 'POST', headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      // Request ids differ from call to call, whoever answers it.
      parsed = JSON.parse(text.replace(/"request_id":"[^"]*"/g, '"request_id":"…"'));
    } catch {
      // kept as text (a stream): without what differs from call to call
      parsed = text.replace(/"(id|created)":("[^"]*"|\d+)/g, '"$1":…');
    }
    const shown = parsed as { id?: unknown; created?: unknown };
    if (shown && typeof shown === 'object') {
      shown.id = typeof shown.id;
      shown.created = typeof shown.created;
    }
    const kept = [...res.headers].filter(([name]) => !VARYING.has(name));
    return { status: res.status, headers: Object.fromEntries(kept), body: shown };
  }

  const chat = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello there' }] });
  const streamed = JSON.stringify({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const messages = JSON.stringify({
    model: 'gpt-test',
    max_tokens: 50,
    messages: [{ role: 'user', content: 'hello there' }],
  });
  // The lane's way in, then ways only Fastify's routes take.
  const ways: [string, string, string | null][] = [
    ['JSON (the lane)', '', 'application/json'],
    ['JSON with a charset (the lane)', '', 'application/json; charset=utf-8'],
    ['another content type', '', 'text/plain'],
    ['a query string', '?api-version=2024-10-01', 'application/json'],
  ];

  const itsKey = (x: Harness): string | null => x.key;
  it.each([
    ['a chat call', '/v1/chat/completions', chat, itsKey],
    ['a streamed chat call', '/v1/chat/completions', streamed, itsKey],
    ['a Messages call', '/v1/messages', messages, itsKey],
    ['a call without a key', '/v1/chat/completions', chat, (): string | null => null],
    ['a call with a malformed key', '/v1/messages', messages, (): string | null => 'sk-sluice-nope'],
    ['a body that is not JSON', '/v1/chat/completions', '{"model": "gpt-test", ', itsKey],
    ['a body over the limit', '/v1/chat/completions', JSON.stringify({ pad: 'x'.repeat(70 * 1024) }), itsKey],
    ['an empty body', '/v1/responses', '', itsKey],
  ])('%s gets the same answer whichever way it comes', async (_what, path, body, key) => {
    const answers = [];
    for (const [, query, type] of ways) answers.push(await send(`${path}${query}`, type, body, key(h)));
    expect(answers[0].status).not.toBe(500);
    for (const answer of answers.slice(1)) expect(answer).toEqual(answers[0]);
  });
});
