import { generateVirtualKey } from '@sluice/contracts';
import { httpHead, RawHttp, waitFor } from '@sluice/testing';
import { startHarness, type Harness } from '../../test/harness';

jest.setTimeout(60_000);

describe('a key policy does not know costs the gateway almost nothing (real NATS)', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness()));
  afterAll(() => h?.stop());

  const hello = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'Hello' }] });
  const large = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x'.repeat(200 * 1024) }] });

  it.each([
    ['a 32 MB content-length', { 'content-length': String(32 * 1024 * 1024) }],
    ['a chunked body', { 'transfer-encoding': 'chunked' }],
  ])(
    'refuses an unknown key announcing %s before reading its body, and hangs up',
    async (_what, framing: Record<string, string>) => {
      const [checks, authorizations] = [h.checkKeyRequests.length, h.authorizeRequests.length];
      const client = await RawHttp.open(h.gateway.url);
      client.write(
        httpHead('POST', '/v1/chat/completions', {
          authorization: `Bearer ${generateVirtualKey()}`,
          'content-type': 'application/json',
          ...framing,
        }),
      );
      client.write(
        framing['transfer-encoding']
          ? '20\r\n{"model":"gpt-test","messages":[\r\n'
          : '{"model":"gpt-test","messages":[',
      );
      // The rest of the body is never sent: the answer cannot wait for it.
      await waitFor(() => client.closed, { timeoutMs: 5000, description: 'the gateway to answer and hang up' });
      expect(client.status).toBe(401);
      expect(client.headers.connection).toBe('close');
      expect(client.json.error).toMatchObject({ code: 'invalid_api_key', type: 'invalid_request_error' });
      expect(h.checkKeyRequests.length).toBe(checks + 1);
      expect(h.authorizeRequests.length).toBe(authorizations);
    },
  );

  it('reads and serves a large body once policy knows the key', async () => {
    const [checks, authorizations] = [h.checkKeyRequests.length, h.authorizeRequests.length];
    const res = await fetch(`${h.gateway.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' },
      body: large,
    });
    expect(res.status).toBe(200);
    expect(h.checkKeyRequests.length).toBe(checks + 1);
    expect(h.authorizeRequests.length).toBe(authorizations + 1);
  });

  it('keeps a usual body to its single authorize round trip', async () => {
    const [checks, authorizations] = [h.checkKeyRequests.length, h.authorizeRequests.length];
    const ok = await fetch(`${h.gateway.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' },
      body: hello,
    });
    expect(ok.status).toBe(200);
    const unknown = await fetch(`${h.gateway.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${generateVirtualKey()}`, 'content-type': 'application/json' },
      body: hello,
    });
    expect(unknown.status).toBe(401);
    expect(h.checkKeyRequests.length).toBe(checks);
    expect(h.authorizeRequests.length).toBe(authorizations + 2);
  });

  it.each(['/health', '/not-a-route', '/v2/chat/completions'])(
    'does not read a 32 MB body sent outside /v1 either (POST %s)',
    async (path) => {
      const client = await RawHttp.open(h.gateway.url);
      client.write(
        httpHead('POST', path, { 'content-type': 'application/json', 'content-length': String(32 * 1024 * 1024) }),
      );
      client.write('{"a":');
      await waitFor(() => client.status !== null, { timeoutMs: 5000, description: 'an answer before the body' });
      expect(client.status).toBe(413);
      client.close();
    },
  );
});
