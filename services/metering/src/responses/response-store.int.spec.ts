import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Subjects, type ResponseDeleteReply, type ResponseLookupReply, type StoredResponse } from '@sluice/contracts';
import { connectNats, ensureStreams, publishDurable, request, type NatsConnection } from '@sluice/messaging';
import { startTestNats, waitFor, type TestNats, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { serveResponseStore } from './response-store';

jest.setTimeout(60_000);

const MAX_PAYLOAD = 64 * 1024;

const stored = (over: Partial<StoredResponse> = {}): StoredResponse => {
  const id = `resp_${randomUUID().replace(/-/g, '')}`;
  return {
    responseId: id,
    keyId: 'key_a',
    callId: randomUUID(),
    model: 'm',
    route: { providerId: 'p', providerType: 'mock', baseUrl: null, upstreamModel: 'm-up' },
    mode: 'bridged',
    previousResponseId: null,
    createdAt: new Date().toISOString(),
    response: {
      id,
      object: 'response',
      status: 'completed',
      output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `answer of ${id}` }] }],
    },
    input: [
      {
        id: `msg_${id}`,
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: `question of ${id}` }],
      },
    ],
    ...over,
  };
};

describe("metering's response store (real NATS with a 64 KB max_payload, real Postgres)", () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let t: TestDatabase;
  let store: { stop(): Promise<void> };
  const logger = pino({ level: 'warn' }, new Writable({ write: (_c, _e, done) => done() }));

  beforeAll(async () => {
    [nats, t] = await Promise.all([startTestNats({ maxPayload: MAX_PAYLOAD }), createTestDatabase()]);
    nc = await connectNats(nats.url, 'metering-responses-test');
    await ensureStreams(nc);
    store = await serveResponseStore(nc, t.db, logger, {
      retentionMs: 3600_000,
      catchUpMs: 5000,
      purgeEveryMs: 200,
      batchWaitMs: 5,
    });
  });
  afterAll(async () => {
    await store?.stop();
    await nc?.drain();
    await Promise.all([nats?.stop(), t?.drop()]);
  });

  const publish = (r: StoredResponse) => publishDurable(nc, Subjects.responseStored, r, r.responseId);
  const lookup = (responseId: string, keyId: string, conversation = false) =>
    request<ResponseLookupReply>(
      nc,
      Subjects.rpc.responseLookup,
      { responseId, keyId, conversation },
      { timeoutMs: 10_000 },
    );
  const remove = (responseId: string, keyId: string) =>
    request<ResponseDeleteReply>(nc, Subjects.rpc.responseDelete, { responseId, keyId }, { timeoutMs: 10_000 });

  it('finds a response asked for right after it was published (the miss waits for the projection), for its own key only', async () => {
    const r = stored();
    await publish(r);
    const found = await lookup(r.responseId, 'key_a');
    expect(found).toMatchObject({
      found: true,
      response: { responseId: r.responseId, keyId: 'key_a', mode: 'bridged', response: r.response, input: r.input },
    });
    // Another key learns nothing: the same answer as an id that never existed.
    expect(await lookup(r.responseId, 'key_b')).toEqual({ found: false });
    expect(await lookup('resp_never_existed', 'key_a')).toEqual({ found: false });
  });

  it('keeps the first binding of an id: a later message naming another key does not take it over', async () => {
    const r = stored();
    await publish(r);
    await lookup(r.responseId, 'key_a');
    // A different message id, so JetStream stores it: only the table can refuse it.
    await publishDurable(nc, Subjects.responseStored, { ...r, keyId: 'key_b' }, `${r.responseId}-again`);
    expect(await lookup(r.responseId, 'key_b')).toEqual({ found: false });
    expect(await lookup(r.responseId, 'key_a')).toMatchObject({ found: true });
  });

  it('deletes for the owner only; a deleted response is gone and stays gone when its message is replayed', async () => {
    const r = stored();
    await publish(r);
    expect(await remove(r.responseId, 'key_b')).toEqual({ deleted: false });
    expect(await remove(r.responseId, 'key_a')).toEqual({ deleted: true });
    expect(await lookup(r.responseId, 'key_a')).toEqual({ found: false });
    expect(await remove(r.responseId, 'key_a')).toEqual({ deleted: false });
    await publishDurable(nc, Subjects.responseStored, r, `${r.responseId}-replayed`);
    expect(await lookup(r.responseId, 'key_a')).toEqual({ found: false });
    const row = await t.db
      .selectFrom('stored_responses')
      .select(['response', 'input', 'deleted_at'])
      .where('id', '=', r.responseId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ response: null, input: null, deleted_at: expect.any(Date) });
  });

  it('answers a conversation newest turn first, in pages that fit the NATS max_payload', async () => {
    // Given a chain of 8 turns of ~20 KB each: more than one 64 KB reply holds
    const big = 'w'.repeat(20_000);
    const chain: StoredResponse[] = [];
    for (let i = 0; i < 8; i++)
      chain.push(
        stored({
          previousResponseId: chain[i - 1]?.responseId ?? null,
          input: [{ type: 'message', role: 'user', content: `${i}:${big}` }],
        }),
      );
    for (const r of chain) await publish(r);
    const turns: unknown[] = [];
    let from: string | null = chain[7].responseId;
    let pages = 0;
    while (from) {
      const page = await lookup(from, 'key_a', true);
      if (!page.found) throw new Error('not found');
      turns.push(...page.turns!);
      from = page.continueFrom ?? null;
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    expect(turns.map((t) => String((t as { input: { content: string }[] }).input[0].content).split(':')[0])).toEqual([
      '7',
      '6',
      '5',
      '4',
      '3',
      '2',
      '1',
      '0',
    ]);
    // and another key cannot walk it
    expect(await lookup(chain[7].responseId, 'key_b', true)).toEqual({ found: false });
  });

  it('stores text Postgres jsonb refuses (NUL, half a surrogate pair) with U+FFFD in its place', async () => {
    const r = stored({ input: [{ type: 'message', role: 'user', content: 'a\u0000b\ud800c', 'k\u0000': 1 }] });
    await publish(r);
    const found = await lookup(r.responseId, 'key_a');
    expect(found).toMatchObject({ found: true, response: { input: [{ content: 'a\ufffdb\ufffdc', 'k\ufffd': 1 }] } });
  });

  it('skips a message Postgres refuses (a NUL in its id) without holding back the others of its batch', async () => {
    const bad = stored({ responseId: 'resp_bad\u0000id' });
    const good = stored();
    await Promise.all([publish(bad), publish(good)]);
    expect(await lookup(good.responseId, 'key_a')).toMatchObject({ found: true });
  });

  it('forgets responses past their retention', async () => {
    const r = stored({ createdAt: new Date(Date.now() - 3600_000 - 1000).toISOString() });
    await publish(r);
    expect(await lookup(r.responseId, 'key_a')).toEqual({ found: false });
    await waitFor(
      async () =>
        !(await t.db.selectFrom('stored_responses').select('id').where('id', '=', r.responseId).executeTakeFirst()),
      { description: 'the expired row purged' },
    );
  });
});

describe('the response store behind a long batch wait, two metering replicas (real NATS, real Postgres)', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let t: TestDatabase;
  let connections: NatsConnection[];
  let replicas: { stop(): Promise<void> }[];
  const logger = pino({ level: 'warn' }, new Writable({ write: (_c, _e, done) => done() }));

  beforeAll(async () => {
    [nats, t] = await Promise.all([startTestNats(), createTestDatabase()]);
    nc = await connectNats(nats.url, 'metering-linger-test');
    await ensureStreams(nc);
    // Each replica on its own connection, as two processes: they share the durable consumer.
    // The batch wait (bounded by a third of the 10 s ack wait) is longer than a lookup's catch-up.
    const options = { retentionMs: 3600_000, catchUpMs: 2000, purgeEveryMs: 60_000, batchWaitMs: 60_000 };
    connections = await Promise.all(['a', 'b'].map((name) => connectNats(nats.url, `metering-${name}`)));
    replicas = await Promise.all(connections.map((c) => serveResponseStore(c, t.db, logger, options)));
  });
  afterAll(async () => {
    for (const r of replicas ?? []) await r.stop();
    for (const c of [...(connections ?? []), nc]) await c?.drain();
    await Promise.all([nats?.stop(), t?.drop()]);
  });

  it('continues a previous_response_id chain right after each response, wherever the response waits for its batch', async () => {
    const chain: string[] = [];
    const started = performance.now();
    for (let i = 0; i < 6; i++) {
      const r = stored({
        previousResponseId: chain.at(-1) ?? null,
        input: [{ type: 'message', role: 'user', content: `turn ${i}` }],
      });
      const id = r.responseId;
      await publishDurable(nc, Subjects.responseStored, r, id);
      chain.push(id);
      const page = await request<ResponseLookupReply>(
        nc,
        Subjects.rpc.responseLookup,
        { responseId: id, keyId: 'key_a', conversation: true },
        { timeoutMs: 10_000 },
      );
      if (!page.found) throw new Error(`turn ${i} not found`);
      expect(page.response.responseId).toBe(id);
      expect(page.turns?.map((turn) => (turn as { input: { content: string }[] }).input[0].content)).toEqual(
        Array.from({ length: i + 1 }, (_, k) => `turn ${i - k}`),
      );
    }
    // A lookup that waited for a batch would have answered "not found" after its 2 s catch-up.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
