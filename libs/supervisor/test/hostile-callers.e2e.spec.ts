import OpenAI from 'openai';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(180_000);

const hello = [{ role: 'user' as const, content: 'Hello' }];

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
    const res = await fetch(`${gateway}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
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
      const completion = await other.chat.completions.create({ model: 'gpt-test', messages: hello }).withResponse().catch((err) => err);
      served.push(completion.response?.status ?? completion.status);
    }
    const refused = await Promise.all(flood);
    expect(served).toEqual(Array(10).fill(200));
    expect(new Set(refused.map((r) => r.status))).toEqual(new Set([400]));
    expect(refused[0].json.error).toMatchObject({ param: 'model', code: 'string_above_max_length', type: 'invalid_request_error' });
    // The allow-list itself still works for the hostile key's honest calls.
    expect((await post(hostileKey, JSON.stringify({ model: 'gpt-mini', messages: hello }))).status).toBe(200);
    expect((await post(hostileKey, JSON.stringify({ model: 'gpt-test', messages: hello }))).json.error).toMatchObject({ code: 'model_not_allowed' });
  });

  it('answers a message nested 100,000 levels deep with a 400, and serves the next call', async () => {
    const key = await createKey({});
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const refused = await post(key, `{"model":"gpt-test","messages":[{"role":"user","content":${deep}}]}`);
    expect(refused).toEqual({ status: 400, json: { error: { type: 'invalid_request_error', code: 'json_too_deep', param: null, message: expect.stringContaining('128 levels') } } });
    expect((await post(key, JSON.stringify({ model: 'gpt-test', messages: hello }))).status).toBe(200);
  });
});
