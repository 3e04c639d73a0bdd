import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import OpenAI from 'openai';
import { generateVirtualKey } from '@sluice/contracts';
import { httpHead, RawHttp, waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(180_000);

const hello = [{ role: 'user' as const, content: 'Hello' }];

/** A process's peak resident memory so far (VmHWM) and its CPU time, from /proc. */
function processFigures(pid: number): { peakRssMb: number; cpuSeconds: number } {
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { peakRssMb: Math.round(peakKb / 1024), cpuSeconds: (Number(stat[11]) + Number(stat[12])) / 100 };
}

/** POSTs a body and says how it ended: the status, or `cut` if the server hung up while it was sent. */
function postBody(url: string, key: string, body: Buffer): Promise<number | 'cut'> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.on('error', () => resolve('cut'));
    req.end(body);
  });
}

/**
 * The gateway's edge against callers who mean harm (issue #10): whatever they send, other keys'
 * calls keep being served. Real NATS, Postgres and the five services as processes.
 */
describe('the gateway edge under hostile callers (real system)', () => {
  let e2e: E2eSystem;
  let gateway: string;

  const createKey = async (body: Record<string, unknown>): Promise<string> => {
    const created = await e2e.admin('POST', '/keys', { name: `key-${Math.random().toString(36).slice(2)}`, ...body });
    expect(created.status).toBe(201);
    return created.body.key;
  };
  const post = async (key: string, body: string): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${gateway}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body,
    });
    const text = await res.text();
    return { status: res.status, json: text.startsWith('{') ? JSON.parse(text) : text };
  };

  beforeAll(async () => {
    e2e = await startE2eSystem();
    gateway = e2e.system.gatewayUrl.replace('localhost', '127.0.0.1');
    await e2e.addCatalog('upstream', ['gpt-mini', 'gpt-test']);
  });
  afterAll(() => e2e?.stop());

  it('refuses a flood of 64 KB model names against a `*mini*` allow-list while another key is served as usual', async () => {
    const hostileKey = await createKey({ models: ['*mini*'] });
    const otherKey = await createKey({});
    // Many matches of the literal part and none at the end: quadratic for a backtracking regex.
    const hostile = JSON.stringify({ model: `${'mini'.repeat(16 * 1024)}\n`, messages: hello });
    const flood = Array.from({ length: 40 }, () => post(hostileKey, hostile));
    const served: number[] = [];
    const other = new OpenAI({ apiKey: otherKey, baseURL: gateway, maxRetries: 0 });
    for (let i = 0; i < 10; i++) {
      const completion = await other.chat.completions
        .create({ model: 'gpt-test', messages: hello })
        .withResponse()
        .catch((err) => err);
      served.push(completion.response?.status ?? completion.status);
    }
    const refused = await Promise.all(flood);
    expect(served).toEqual(Array(10).fill(200));
    expect(new Set(refused.map((r) => r.status))).toEqual(new Set([400]));
    expect(refused[0].json.error).toMatchObject({
      param: 'model',
      code: 'string_above_max_length',
      type: 'invalid_request_error',
    });
    // The allow-list itself still works for the hostile key's honest calls.
    expect((await post(hostileKey, JSON.stringify({ model: 'gpt-mini', messages: hello }))).status).toBe(200);
    expect((await post(hostileKey, JSON.stringify({ model: 'gpt-test', messages: hello }))).json.error).toMatchObject({
      code: 'model_not_allowed',
    });
  });

  it('answers a message nested 100,000 levels deep with a 400, and serves the next call', async () => {
    const key = await createKey({});
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const refused = await post(key, `{"model":"gpt-test","messages":[{"role":"user","content":${deep}}]}`);
    expect(refused).toEqual({
      status: 400,
      json: {
        error: {
          type: 'invalid_request_error',
          code: 'json_too_deep',
          param: null,
          message: expect.stringContaining('128 levels'),
        },
      },
    });
    expect((await post(key, JSON.stringify({ model: 'gpt-test', messages: hello }))).status).toBe(200);
  });

  it('keeps its memory flat under a flood of 32 MB bodies sent with well-formed keys nobody issued', async () => {
    const pid = e2e.system.services.get('gateway')!.pid!;
    const body = Buffer.alloc(32 * 1024 * 1024, 'x');
    body.write('{"model":"gpt-test","messages":[{"role":"user","content":"');
    body.write('"}]}', body.length - 4);
    const before = processFigures(pid);
    const endings: (number | 'cut')[] = [];
    // 48 bodies, 8 at a time: 1.5 GB offered.
    for (let round = 0; round < 6; round++) {
      endings.push(
        ...(await Promise.all(
          Array.from({ length: 8 }, () => postBody(`${gateway}/chat/completions`, generateVirtualKey(), body)),
        )),
      );
    }
    const after = processFigures(pid);
    console.log(
      `gateway under a flood of 48 × 32 MB unknown-key bodies: peak RSS ${before.peakRssMb} → ${after.peakRssMb} MB, CPU ${(after.cpuSeconds - before.cpuSeconds).toFixed(2)} s; endings ${JSON.stringify(Object.fromEntries([...new Set(endings)].map((e) => [e, endings.filter((x) => x === e).length])))}`,
    );
    expect(endings.every((e) => e === 401 || e === 'cut')).toBe(true);
    expect(after.peakRssMb - before.peakRssMb).toBeLessThan(64);
    // And the gateway still serves.
    expect((await post(await createKey({}), JSON.stringify({ model: 'gpt-test', messages: hello }))).status).toBe(200);
  });

  it('cuts slow clients at the deadlines its environment sets', async () => {
    const fast = await e2e.startGateway({
      SLUICE_GATEWAY_REQUEST_HEADERS_TIMEOUT_MS: '400',
      SLUICE_GATEWAY_REQUEST_BODY_IDLE_MS: '400',
    });
    const key = await createKey({});
    const halfHead = await RawHttp.open(fast.url);
    halfHead.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n`);
    const stalledBody = await RawHttp.open(fast.url);
    stalledBody.write(
      httpHead('POST', '/v1/chat/completions', {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'content-length': '100',
      }),
    );
    stalledBody.write('{"model":');
    await waitFor(() => halfHead.closed && stalledBody.closed, {
      timeoutMs: 10_000,
      description: 'both slow clients to be cut',
    });
    expect(halfHead.status).toBe(408);
    expect(halfHead.json.error).toMatchObject({ code: 'request_timeout' });
    await fast.stop();
  });

  describe('the admin API', () => {
    it.each([
      ['no token', {}],
      ['a wrong token', { authorization: 'Bearer not-an-admin-token' }],
    ])(
      'refuses a caller with %s before reading a 32 MB body, and hangs up',
      async (_what, auth: Record<string, string>) => {
        const client = await RawHttp.open(e2e.system.adminUrl);
        client.write(
          httpHead('POST', '/admin/v1/keys', {
            ...auth,
            'content-type': 'application/json',
            'content-length': String(32 * 1024 * 1024),
          }),
        );
        client.write('{"name":"');
        await waitFor(() => client.closed, { timeoutMs: 5000, description: 'the admin API to answer and hang up' });
        expect(client.status).toBe(401);
        expect(client.json.error).toMatchObject({ code: 'UNAUTHORIZED' });
      },
    );

    it('refuses a body above its 1 MB limit with 413, and JSON nested too deep with 400', async () => {
      const big = await e2e.admin('POST', '/keys', { name: 'big', metadata: { blob: 'x'.repeat(1024 * 1024) } });
      expect(big).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
      const { id } = (await e2e.admin('POST', '/keys', { name: 'simulated' })).body;
      const deep = `{"model":"gpt-test","operation":"completions","prompt":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      const res = await fetch(`${e2e.system.adminUrl}/admin/v1/keys/${id}/simulate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${e2e.system.adminToken}`, 'content-type': 'application/json' },
        body: deep,
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('128 levels') },
      });
    });
  });
});
