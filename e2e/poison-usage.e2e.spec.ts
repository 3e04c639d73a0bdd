import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { sql } from 'kysely';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Streams, Subjects, type UsageMessage } from '@sluice/contracts';
import { connectNats, publishDurable, type NatsConnection } from '@sluice/messaging';
import { usageFixture, waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(120_000);

const CALLS = 100;
const CONCURRENCY = 8;

/**
 * Issue #9: one caller string Postgres cannot store once stalled metering for everyone. The gateway
 * now refuses such strings; usage messages that hold them anyway (written before the fix, or by
 * anything else that can publish) are injected straight onto the usage stream.
 */
describe('one unstorable usage message never holds back any other call (real NATS, Postgres, five services)', () => {
  let e2e: E2eSystem;
  let nc: NatsConnection;
  let key: { id: string; key: string };
  const prefix = `poison-${Date.now()}`;

  beforeAll(async () => {
    e2e = await startE2eSystem();
    await e2e.addCatalog('poison-upstream', ['gpt-poison']);
    const created = await e2e.admin('POST', '/keys', { name: 'poison-app' });
    key = { id: created.body.id, key: created.body.key };
    nc = await connectNats(e2e.nats.url, 'poison-test');
  });
  afterAll(async () => {
    await nc?.drain();
    await e2e?.stop();
  });

  const client = (requestId: string) =>
    new OpenAI({
      apiKey: key.key,
      baseURL: e2e.system.gatewayUrl.replace('localhost', '127.0.0.1'),
      maxRetries: 0,
      defaultHeaders: { 'x-request-id': requestId },
    });
  const hello = [{ role: 'user' as const, content: 'Hello there, how is it going' }];

  const usage = (over: Partial<UsageMessage>): UsageMessage =>
    usageFixture(randomUUID(), {
      keyId: key.id,
      model: 'gpt-poison',
      upstreamModel: 'gpt-poison',
      inputTokens: 11,
      outputTokens: 7,
      startedAt: new Date().toISOString(),
      ...over,
    });

  const recordedRows = async () => {
    const { rows } = await sql<{
      request_id: string;
      client_request_id: string | null;
      input_tokens: number;
      output_tokens: number;
      recorded_at: Date;
      caller_user: string | null;
      cleaned_fields: string[] | null;
    }>`
      select * from usage_records where key_id = ${key.id}`.execute(e2e.database.db);
    return rows;
  };

  it('records the poisoned calls cleaned and flagged, and 100 ordinary calls within 2 s of their end, tokens equal to the invoice', async () => {
    const poisoned = [
      usage({ user: 'alice\u0000' }),
      usage({ metadata: { team: 'search\u0000' } }),
      usage({ metadata: { 'te\u0000am': 'search' } }),
      usage({ user: 'lone \ud800' }),
      usage({ metadata: { team: 'lone \udc00' } }),
      usage({ clientRequestId: `${prefix}-nul\u0000` }),
    ];
    const finishedAt = new Map<string, number>();
    for (const message of poisoned) {
      await publishDurable(nc, Subjects.usage, message, message.requestId);
      finishedAt.set(message.requestId, Date.now());
    }
    let next = 0;
    const worker = async () => {
      while (next < CALLS) {
        const id = `${prefix}-${next++}`;
        await client(id).chat.completions.create({ model: 'gpt-poison', messages: hello, user: `user-${id}` });
        finishedAt.set(id, Date.now());
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const rows = await waitFor(
      async () => {
        const found = await recordedRows();
        return found.length >= CALLS + poisoned.length ? found : null;
      },
      { timeoutMs: 10_000, intervalMs: 50, description: `all ${CALLS + poisoned.length} calls to be recorded` },
    ).catch(() => recordedRows());
    const byId = new Map(
      rows.map((r) => [
        r.client_request_id && !r.client_request_id.includes('nul') ? r.client_request_id : r.request_id,
        r,
      ]),
    );

    // Each recorded within 2 s of its end (Postgres runs on this machine's clock).
    const late = [...finishedAt].filter(
      ([id, at]) => !(byId.get(id) && new Date(byId.get(id)!.recorded_at).getTime() - at <= 2000),
    );
    expect(late.map(([id]) => id)).toEqual([]);
    expect(rows).toHaveLength(CALLS + poisoned.length);

    // The ordinary calls: tokens as the upstream invoiced them.
    const ids = Array.from({ length: CALLS }, (_, i) => `${prefix}-${i}`);
    const invoiced = ids.map((id) => e2e.upstream.invoice.byRequest.get(id)!);
    const ordinary = ids.map((id) => byId.get(id)!);
    expect(ordinary.reduce((s, r) => s + r.input_tokens, 0)).toBe(invoiced.reduce((s, e) => s + e.promptTokens, 0));
    expect(ordinary.reduce((s, r) => s + r.output_tokens, 0)).toBe(
      invoiced.reduce((s, e) => s + e.completionTokens, 0),
    );
    expect(ordinary.every((r) => (r.cleaned_fields ?? []).length === 0)).toBe(true);

    // The poisoned ones: recorded with their tokens, the offending field cleaned and flagged.
    expect(poisoned.map((m) => [byId.get(m.requestId)?.input_tokens, byId.get(m.requestId)?.cleaned_fields])).toEqual([
      [11, ['user']],
      [11, ['metadata']],
      [11, ['metadata']],
      [11, ['user']],
      [11, ['metadata']],
      [11, ['clientRequestId']],
    ]);
    expect(byId.get(poisoned[0].requestId)?.caller_user).toBe('alice\uFFFD');

    // The request log shows the flag; the key's spend counts every call once.
    const log = await e2e.admin('GET', `/requests?keyId=${key.id}&limit=500`);
    expect(log.body.data.find((r: { requestId: string }) => r.requestId === poisoned[0].requestId)).toMatchObject({
      user: 'alice\uFFFD',
      cleanedFields: ['user'],
    });
    expect(log.body.data.find((r: { clientRequestId: string }) => r.clientRequestId === `${prefix}-0`)).toMatchObject({
      cleanedFields: [],
    });
    const spend = await e2e.database.db
      .selectFrom('key_spend')
      .selectAll()
      .where('key_id', '=', key.id)
      .executeTakeFirstOrThrow();
    expect(Number(spend.requests)).toBe(CALLS + poisoned.length);
    expect(Number(spend.input_tokens)).toBe(rows.reduce((s, r) => s + r.input_tokens, 0));
  });

  it('dead-letters only what cannot be recorded at all, keeps it, and goes on recording', async () => {
    // Not JSON at all: every consumer of the usage stream (metering, policy) must survive it.
    await jetstream(nc).publish(Subjects.usage, new TextEncoder().encode('not json'), { msgID: `${prefix}-not-json` });
    // An instant the schema takes and Postgres cannot store (there is no year 0).
    const unrecordable = usage({ startedAt: '0000-01-01T00:00:00Z' });
    await publishDurable(nc, Subjects.usage, unrecordable, unrecordable.requestId);
    const id = `${prefix}-after-dead`;
    await client(id).chat.completions.create({ model: 'gpt-poison', messages: hello });
    await waitFor(async () => (await recordedRows()).some((r) => r.client_request_id === id), {
      timeoutMs: 5000,
      description: 'the next call to be recorded',
    });

    const jsm = await jetstreamManager(nc);
    const deadLetters = async () => {
      const { state } = await jsm.streams.info(Streams.deadLetters.name);
      return Promise.all(
        Array.from({ length: state.messages }, (_, i) =>
          jsm.streams.getMessage(Streams.deadLetters.name, { seq: state.first_seq + i }),
        ),
      );
    };
    const kept = await waitFor(
      async () => {
        const all = await deadLetters();
        return all.length === 2 && all;
      },
      { timeoutMs: 5000, description: 'the two dead letters' },
    );
    const text = (m: (typeof kept)[number]) => new TextDecoder().decode(m!.data);
    expect(kept.map((m) => [m!.subject, m!.header.get('sluice-reason')])).toEqual([
      [Subjects.usageDeadLetter, expect.stringMatching(/^malformed/)],
      [Subjects.usageDeadLetter, expect.stringMatching(/^SQLSTATE 22/)],
    ]);
    expect([text(kept[0]), JSON.parse(text(kept[1])).requestId]).toEqual(['not json', unrecordable.requestId]);
    expect((await recordedRows()).some((r) => r.request_id === unrecordable.requestId)).toBe(false);
    expect(
      e2e.output.filter(
        (line) => line.startsWith('metering') && line.includes(unrecordable.requestId) && line.includes('dead-letter'),
      ),
    ).toHaveLength(1);
    // Policy follows the same stream to settle limits: it read both and still answers.
    await client(`${prefix}-after-dead-2`).chat.completions.create({ model: 'gpt-poison', messages: hello });
    expect(Object.fromEntries([...e2e.system.services].map(([name, service]) => [name, service.restarts]))).toEqual({
      'key-registry': 0,
      policy: 0,
      metering: 0,
      'admin-api': 0,
      gateway: 0,
    });
  });

  it('answers 400 naming the field for a NUL in user, in metadata and in x-request-id, and records the next ordinary call', async () => {
    const url = `${e2e.system.gatewayUrl.replace('localhost', '127.0.0.1')}/chat/completions`;
    const post = (headers: Record<string, string>, extra: object = {}) =>
      fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model: 'gpt-poison', messages: hello, ...extra }),
      });
    const user = await post({}, { user: 'a\u0000' });
    expect([user.status, ((await user.json()) as any).error]).toEqual([
      400,
      expect.objectContaining({ type: 'invalid_request_error', param: 'user' }),
    ]);
    const metadata = await post({ 'x-portkey-metadata': '{"team":"a\\u0000"}' });
    expect([metadata.status, ((await metadata.json()) as any).error]).toEqual([
      400,
      expect.objectContaining({ type: 'invalid_request_error', param: 'x-portkey-metadata' }),
    ]);
    const header = await rawHeaderPost(url, key.key, 'x-request-id: abc\u0000');
    expect([header.status, header.json.error]).toEqual([
      400,
      expect.objectContaining({ type: 'invalid_request_error', param: 'x-request-id' }),
    ]);

    const id = `${prefix}-after-400`;
    await client(id).chat.completions.create({ model: 'gpt-poison', messages: hello });
    await waitFor(async () => (await recordedRows()).some((r) => r.client_request_id === id), {
      timeoutMs: 2000,
      intervalMs: 25,
      description: 'the next call to be recorded',
    });
  });
});

/** A request with a header no HTTP client library would send, over a raw socket. */
async function rawHeaderPost(url: string, key: string, header: string): Promise<{ status: number; json: any }> {
  const { connect } = await import('node:net');
  const { hostname, port, host, pathname } = new URL(url);
  const body = '{}';
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      socket.end(
        `POST ${pathname} HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\n${header}\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      ),
    );
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(text.split(' ')[1]), json: JSON.parse(text.slice(split + 4)) });
    });
  });
}
