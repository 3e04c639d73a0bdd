import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { getKey, listKeys } from './key-queries';

describe('key queries for the console (real Postgres)', () => {
  let t: TestDatabase;
  const now = new Date('2026-11-24T12:00:00Z');
  const names = (page: { data: { name: string }[] }) => page.data.map((k) => k.name);
  const list = (q: { q?: string; status?: 'active'; cursor?: string; limit?: number }) =>
    listKeys(t.db, { limit: 100, ...q }, now);

  const call = (key: string, n: number, at: string) =>
    t.db
      .insertInto('usage_records')
      .values({
        request_id: `req-${key}-${n}`,
        key_id: key,
        model: 'gpt-a',
        upstream_model: 'gpt-a',
        provider_id: 'p1',
        operation: 'chat',
        stream: false,
        status: 200,
        input_tokens: 1,
        cached_input_tokens: 0,
        output_tokens: 1,
        reasoning_tokens: 0,
        cost_usd: '0.0000010000',
        estimated: false,
        latency_ms: 5,
        ttfb_ms: null,
        client_ip: '127.0.0.1',
        started_at: at,
      })
      .execute();

  beforeAll(async () => {
    t = await createTestDatabase();
    const keys: [string, string, string, string][] = [
      ['k1', 'billing-service', 'sk-sluice-AbCd…wXyZ', '2026-11-01T00:00:00Z'],
      ['k2', 'Billing-Batch', 'sk-sluice-QrSt…mNoP', '2026-11-02T00:00:00Z'],
      ['k3', 'support_bot', 'sk-sluice-EfGh…iJkL', '2026-11-03T00:00:00Z'],
      ['k4', 'support-bot-100%', 'sk-sluice-UvWx…yZaB', '2026-11-04T00:00:00Z'],
    ];
    for (const [id, name, key_hint, created_at] of keys) {
      await t.db
        .insertInto('keys_view')
        .values({ id, name, status: 'active', key_hash: `h-${id}`, key_hint, metadata: '{}', created_at, version: 1 })
        .execute();
    }
    await call('k1', 1, '2026-11-20T08:00:00Z');
    await call('k1', 2, '2026-11-22T09:30:00Z');
    await call('k1', 3, '2026-11-21T10:00:00Z');
  });
  afterAll(() => t.drop());

  it('finds keys by a part of their name, case-insensitively, in creation order', async () => {
    expect(names(await list({ q: 'billing' }))).toEqual(['billing-service', 'Billing-Batch']);
    expect(names(await list({ q: 'BOT' }))).toEqual(['support_bot', 'support-bot-100%']);
  });

  it('finds a key by its id or by the hint an admin copied from a log', async () => {
    expect(names(await list({ q: 'k3' }))).toEqual(['support_bot']);
    expect(names(await list({ q: 'QrSt' }))).toEqual(['Billing-Batch']);
  });

  it('takes the search text literally: % and _ are not wildcards', async () => {
    expect(names(await list({ q: '100%' }))).toEqual(['support-bot-100%']);
    expect(names(await list({ q: 't_b' }))).toEqual(['support_bot']);
    expect(names(await list({ q: '%' }))).toEqual(['support-bot-100%']);
  });

  it('pages through search results with the cursor', async () => {
    const first = await list({ q: 'bot', limit: 1 });
    expect([names(first), first.nextCursor]).toEqual([['support_bot'], expect.any(String)]);
    const second = await list({ q: 'bot', limit: 1, cursor: first.nextCursor! });
    expect([names(second), second.nextCursor]).toEqual([['support-bot-100%'], null]);
  });

  it("shows when a key was last used: its latest call's start, null before its first call", async () => {
    expect((await getKey(t.db, 'k1', now)).lastUsedAt).toBe('2026-11-22T09:30:00.000Z');
    expect((await getKey(t.db, 'k2', now)).lastUsedAt).toBeNull();
    expect((await list({ q: 'billing' })).data.map((k) => k.lastUsedAt)).toEqual(['2026-11-22T09:30:00.000Z', null]);
  });
});
