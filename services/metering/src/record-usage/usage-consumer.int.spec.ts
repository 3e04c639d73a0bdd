import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { appendToStream } from '@sluice/event-store';
import { createDb, type Database } from '@sluice/db';
import { Consumers, Streams, Subjects, type UsageMessage } from '@sluice/contracts';
import { connectNats, ensureStreams, publishDurable, type NatsConnection } from '@sluice/messaging';
import {
  freePort,
  startTestNats,
  usageFixture,
  waitFor,
  type TestNats,
  createTestDatabase,
  type TestDatabase,
} from '@sluice/testing';
import { sql, type Kysely } from 'kysely';
import { consumeUsage } from './usage-consumer';

jest.setTimeout(60_000);

const OPTIONS = { maxBatch: 256, maxWaitMs: 5, ackWaitMs: 1000, maxDeliver: 5 };

describe("metering's usage consumer: no message can hold back another (real NATS and Postgres)", () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let t: TestDatabase;
  const logs: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write: (chunk, _enc, done) => {
        logs.push(chunk.toString());
        done();
      },
    }),
  );

  beforeAll(async () => {
    [nats, t] = await Promise.all([startTestNats(), createTestDatabase()]);
    nc = await connectNats(nats.url, 'metering-test');
    await ensureStreams(nc);
    const at = new Date(Date.now() - 60_000).toISOString();
    await appendToStream(t.db, {
      streamId: 'model-gpt-x',
      streamType: 'model',
      expectedVersion: 'no_stream',
      events: [
        {
          eventId: randomUUID(),
          type: 'ModelAdded',
          schemaVersion: 1,
          data: {
            name: 'gpt-x',
            providerId: 'p',
            upstreamModel: 'gpt-x',
            inputUsdPerMTok: 1,
            outputUsdPerMTok: 2,
            cachedInputUsdPerMTok: null,
            maxOutputTokens: null,
            createdAt: at,
          },
          metadata: { actor: 'test', occurredAt: at },
        },
      ],
    });
  });
  afterAll(async () => {
    await nc?.drain();
    await Promise.all([nats?.stop(), t?.drop()]);
  });

  const usage = (keyId: string, over: Partial<UsageMessage> = {}): UsageMessage =>
    usageFixture(randomUUID(), {
      keyId,
      model: 'gpt-x',
      upstreamModel: 'gpt-x',
      inputTokens: 100 + Math.floor(Math.random() * 100),
      outputTokens: 10 + Math.floor(Math.random() * 50),
      startedAt: new Date().toISOString(),
      ...over,
    });
  /** Publishes each message and notes when JetStream stored it. */
  const publish = async (messages: UsageMessage[]) => {
    const storedAt = new Map<string, number>();
    await Promise.all(
      messages.map((m) =>
        publishDurable(nc, Subjects.usage, m, m.requestId).then(() => storedAt.set(m.requestId, Date.now())),
      ),
    );
    return storedAt;
  };
  const rows = (keyId: string) => t.db.selectFrom('usage_records').selectAll().where('key_id', '=', keyId).execute();
  const deadLetters = async () => {
    const jsm = await jetstreamManager(nc);
    const { state } = await jsm.streams.info(Streams.deadLetters.name);
    const out = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++)
      out.push(await jsm.streams.getMessage(Streams.deadLetters.name, { seq }));
    return out.flatMap((m) =>
      m
        ? [
            {
              reason: m.header.get('sluice-reason'),
              body: new TextDecoder().decode(m.data),
              seq: m.header.get('sluice-seq'),
              part: m.header.has('sluice-part') ? m.header.get('sluice-part') : undefined,
              msgId: m.header.get('Nats-Msg-Id'),
            },
          ]
        : [],
    );
  };
  /** Publishes calls as one message of the usage stream, as a gateway batches them; `json` is its payload as written. */
  const publishBatch = async (json: string) => {
    const ack = await jetstream(nc).publish(Subjects.usage, new TextEncoder().encode(json), {
      msgID: `usage-batch.${randomUUID()}`,
    });
    return ack.seq;
  };
  const batchOf = (calls: UsageMessage[]) => JSON.stringify(calls);
  const spendOf = (keyId: string) =>
    t.db.selectFrom('key_spend').selectAll().where('key_id', '=', keyId).executeTakeFirst();
  const totals = (calls: UsageMessage[]) =>
    calls.reduce(
      (s, u) => [s[0] + 1, s[1] + u.inputTokens, s[2] + u.outputTokens, s[3] + (u.costNanos ?? 0)],
      [0, 0, 0, 0],
    );
  const spendTotals = async (keyId: string) => {
    const spend = await spendOf(keyId);
    return spend
      ? [
          Number(spend.requests),
          Number(spend.input_tokens),
          Number(spend.output_tokens),
          Math.round(Number(spend.spend_usd) * 1e9),
        ]
      : [0, 0, 0, 0];
  };
  /** Metering's dead-letter log lines about the message at `seq`. */
  const deadLogs = (seq: number): { part?: number; requestId?: string }[] =>
    logs
      .filter((line) => line.includes('dead-lettered'))
      .map((line) => JSON.parse(line))
      .filter((line) => line.seq === seq);
  const allAcked = async () => {
    const info = await consumerInfo();
    return info.num_pending === 0 && info.num_ack_pending === 0;
  };
  const consumerInfo = async () =>
    (await jetstreamManager(nc)).consumers.info(Streams.usage.name, Consumers.meteringUsage);

  it('records poisoned calls cleaned and flagged, and 100 ordinary calls behind them within 2 s each, tokens as sent', async () => {
    const consumer = await consumeUsage(nc, t.db, logger, OPTIONS);
    try {
      const poisoned = [
        usage('key-poison', { user: 'alice\u0000' }),
        usage('key-poison', { metadata: { team: 'x\u0000' } }),
        usage('key-poison', { metadata: { 'te\u0000am': 'x' } }),
        usage('key-poison', { user: 'lone \ud800' }),
        usage('key-poison', { metadata: { team: 'lone \udc00' } }),
        usage('key-poison', { clientRequestId: 'id\u0000' }),
      ];
      const ordinary = Array.from({ length: 100 }, () => usage('key-poison'));
      const storedAt = new Map([...(await publish(poisoned)), ...(await publish(ordinary))]);

      const recorded = await waitFor(
        async () => {
          const found = await rows('key-poison');
          return found.length === 106 && found;
        },
        { timeoutMs: 10_000, description: 'all 106 calls recorded' },
      );
      const late = recorded.filter((r) => new Date(r.recorded_at).getTime() - storedAt.get(r.request_id)! > 2000);
      expect(late.map((r) => r.request_id)).toEqual([]);
      const sum = (list: { inputTokens: number; outputTokens: number }[]) =>
        list.reduce((s, u) => [s[0] + u.inputTokens, s[1] + u.outputTokens], [0, 0]);
      const stored = recorded.reduce((s, r) => [s[0] + r.input_tokens, s[1] + r.output_tokens], [0, 0]);
      expect(stored).toEqual(sum([...poisoned, ...ordinary]));
      const byId = new Map(recorded.map((r) => [r.request_id, r]));
      expect(poisoned.map((m) => byId.get(m.requestId)!.cleaned_fields)).toEqual([
        ['user'],
        ['metadata'],
        ['metadata'],
        ['user'],
        ['metadata'],
        ['clientRequestId'],
      ]);
      expect([byId.get(poisoned[0].requestId)!.caller_user, byId.get(poisoned[1].requestId)!.caller_metadata]).toEqual([
        'alice\uFFFD',
        { team: 'x\uFFFD' },
      ]);
      expect(ordinary.every((m) => byId.get(m.requestId)!.cleaned_fields.length === 0)).toBe(true);
      const spend = await t.db
        .selectFrom('key_spend')
        .selectAll()
        .where('key_id', '=', 'key-poison')
        .executeTakeFirstOrThrow();
      expect([Number(spend.requests), Number(spend.input_tokens), Number(spend.output_tokens)]).toEqual([
        106,
        ...stored,
      ]);
      expect(await deadLetters()).toEqual([]);
    } finally {
      await consumer.stop();
    }
  });

  it('dead-letters only what no cleaning can record, with the reason and one log line, and records the rest of its batch', async () => {
    const consumer = await consumeUsage(nc, t.db, logger, OPTIONS);
    try {
      const good = Array.from({ length: 40 }, () => usage('key-dead'));
      // An instant the schema takes and Postgres cannot store (there is no year 0).
      const notATime = usage('key-dead', { startedAt: '0000-01-01T00:00:00Z' });
      const tooManyTokens = usage('key-dead', { inputTokens: 3_000_000_000 });
      const nulInKey = usage('key-dead\u0000');
      // One batch: the bad ones among the good.
      await publish([...good.slice(0, 20), notATime, tooManyTokens, nulInKey, ...good.slice(20)]);
      await jetstream(nc).publish(Subjects.usage, new TextEncoder().encode('not json'), { msgID: randomUUID() });

      await waitFor(async () => (await rows('key-dead')).length === 40 && (await deadLetters()).length === 4, {
        timeoutMs: 10_000,
        description: 'the good recorded, the bad dead-lettered',
      });
      const dead = await deadLetters();
      const reasonOf = (m: UsageMessage) => dead.find((d) => d.body.includes(m.requestId))?.reason;
      expect([reasonOf(notATime), reasonOf(tooManyTokens), reasonOf(nulInKey)]).toEqual([
        'SQLSTATE 22008',
        'SQLSTATE 22003',
        'keyId holds a NUL',
      ]);
      expect(dead.find((d) => d.body === 'not json')?.reason).toMatch(/^malformed/);
      expect(logs.filter((line) => line.includes('dead-lettered'))).toHaveLength(4);
      expect(logs.filter((line) => line.includes(notATime.requestId))).toHaveLength(1);
      // Acked, not redelivered: nothing is left for the consumer.
      await waitFor(async () => (await consumerInfo()).num_ack_pending === 0, { description: 'every message acked' });
      expect((await consumerInfo()).num_redelivered).toBe(0);
    } finally {
      await consumer.stop();
    }
  });

  it('holds and retries while Postgres is unreachable, past the ack wait, and dead-letters nothing', async () => {
    const proxy = await startProxy(new URL(t.url));
    const db = createDb<Database>(proxy.urlFor(t.url));
    const consumer = await consumeUsage(nc, db as Kysely<Database>, logger, OPTIONS);
    try {
      const deadBefore = (await deadLetters()).length;
      await proxy.cut();
      const messages = Array.from({ length: 30 }, () => usage('key-outage'));
      await publish(messages);
      await waitFor(() => logs.some((line) => line.includes('recording a usage batch failed; retrying')), {
        description: 'the first failed attempt',
      });
      // The outage outlasts the ack wait three times over: held messages must not be redelivered.
      const outageEnds = Date.now() + 3 * OPTIONS.ackWaitMs;
      await waitFor(() => Date.now() >= outageEnds, { timeoutMs: 5000, intervalMs: 100 });
      await proxy.restore();
      await waitFor(async () => (await rows('key-outage')).length === 30, {
        timeoutMs: 10_000,
        description: 'every call recorded once Postgres is back',
      });
      await waitFor(async () => (await consumerInfo()).num_ack_pending === 0, { description: 'every message acked' });
      expect((await consumerInfo()).num_redelivered).toBe(0);
      expect((await deadLetters()).length).toBe(deadBefore);
    } finally {
      await consumer.stop();
      await db.destroy();
      await proxy.close();
    }
  });
  it('records each call of a batch message once, spend moved once per call; the same batch again adds nothing', async () => {
    const consumer = await consumeUsage(nc, t.db, logger, OPTIONS);
    try {
      const calls = Array.from({ length: 25 }, (_, i) => usage('key-batch', { costNanos: 1000 + i }));
      const json = batchOf(calls);
      await publishBatch(json);
      await waitFor(async () => (await rows('key-batch')).length === 25, {
        timeoutMs: 10_000,
        description: 'the 25 calls of the batch recorded',
      });
      await waitFor(allAcked, { description: 'the batch acked' });
      expect(await spendTotals('key-batch')).toEqual(totals(calls));
      const byId = new Map((await rows('key-batch')).map((r) => [r.request_id, r]));
      expect(calls.map((c) => [byId.get(c.requestId)?.input_tokens, byId.get(c.requestId)?.output_tokens])).toEqual(
        calls.map((c) => [c.inputTokens, c.outputTokens]),
      );

      // The same calls again, under another msgID (JetStream stores it): a republished or recovered batch.
      await publishBatch(json);
      await waitFor(allAcked, { description: 'the copy acked' });
      expect((await rows('key-batch')).length).toBe(25);
      expect(await spendTotals('key-batch')).toEqual(totals(calls));
      expect((await deadLetters()).filter((d) => d.body.includes('key-batch'))).toEqual([]);
      expect((await consumerInfo()).num_redelivered).toBe(0);
    } finally {
      await consumer.stop();
    }
  });

  it('dead-letters only the malformed and the unstorable call of a batch, each as its own bytes, and records the rest', async () => {
    const consumer = await consumeUsage(nc, t.db, logger, OPTIONS);
    try {
      const good = Array.from({ length: 6 }, () => usage('key-batch-bad', { costNanos: 500 }));
      // JSON reads 1e400 as Infinity, which the schema refuses: kept as written, not as `null`.
      const infinite = usage('key-batch-bad', { inputTokens: 7_777_777 });
      const malformed = JSON.stringify(infinite).replace('"inputTokens":7777777', '"inputTokens":1e400');
      // An instant the schema takes and Postgres cannot store (there is no year 0).
      const notATime = usage('key-batch-bad', { startedAt: '0000-01-01T00:00:00Z' });
      const parts = [...good.slice(0, 2).map((c) => JSON.stringify(c)), malformed, JSON.stringify(notATime)];
      parts.push(...good.slice(2).map((c) => JSON.stringify(c)));
      const seq = await publishBatch(`[ ${parts.join(' ,\n')} ]`);

      const dead = await waitFor(
        async () => {
          const found = (await deadLetters()).filter((d) => d.body.includes('key-batch-bad'));
          return (await rows('key-batch-bad')).length === 6 && found.length === 2 && found;
        },
        { timeoutMs: 10_000, description: 'the good calls recorded, the two bad ones dead-lettered' },
      );
      const sorted = [...dead].sort((a, b) => Number(a.part) - Number(b.part));
      expect(sorted.map((d) => [d.body, d.part, d.seq, d.msgId])).toEqual([
        [malformed, '2', String(seq), `${Subjects.usage}#${seq}.2`],
        [JSON.stringify(notATime), '3', String(seq), `${Subjects.usage}#${seq}.3`],
      ]);
      expect(sorted.map((d) => d.reason)).toEqual([expect.stringMatching(/^malformed: inputTokens/), 'SQLSTATE 22008']);
      expect(await spendTotals('key-batch-bad')).toEqual(totals(good));
      // One line each: the malformed call by its position (nothing it claims is logged), the other by its ids.
      expect(deadLogs(seq).map((line) => [line.part, line.requestId])).toEqual([
        [2, undefined],
        [3, notATime.requestId],
      ]);
      await waitFor(allAcked, { description: 'the batch acked' });
      expect((await consumerInfo()).num_redelivered).toBe(0);
    } finally {
      await consumer.stop();
    }
  });

  it('redelivers a batch one call of which must be retried: its recorded calls count once, its dead call is kept once', async () => {
    const stubborn = usage('key-batch-retry');
    // A failure that is neither "not now" nor about the content (raise_exception, class P0): retried.
    await sql`create function refuse_stubborn() returns trigger language plpgsql as $$
      begin
        if new.request_id = ${sql.lit(stubborn.requestId)} then raise exception 'not this one'; end if;
        return new;
      end $$`.execute(t.db);
    await sql`create trigger refuse_stubborn before insert on usage_records
      for each row execute function refuse_stubborn()`.execute(t.db);
    const consumer = await consumeUsage(nc, t.db, logger, OPTIONS);
    try {
      const good = Array.from({ length: 3 }, () => usage('key-batch-retry', { costNanos: 700 }));
      const malformed = { ...usage('key-batch-retry'), status: 'ok' };
      const json = JSON.stringify([good[0], malformed, stubborn, good[1], good[2]]);
      const seq = await publishBatch(json);

      // Delivered OPTIONS.maxDeliver times, then JetStream gives up and the message is kept whole.
      const whole = await waitFor(
        async () => (await deadLetters()).find((d) => d.seq === String(seq) && d.part === undefined),
        { timeoutMs: 20_000, description: 'the batch dead-lettered whole after its last delivery' },
      );
      expect([whole.body, whole.msgId, whole.reason]).toEqual([
        json,
        `${Subjects.usage}#${seq}`,
        `not recorded after ${OPTIONS.maxDeliver} deliveries`,
      ]);
      const parts = (await deadLetters()).filter((d) => d.seq === String(seq) && d.part !== undefined);
      expect(parts.map((d) => [d.part, JSON.parse(d.body)])).toEqual([['1', malformed]]);
      // Kept once although it was met on every delivery; then the message whole.
      expect(deadLogs(seq).map((line) => line.part)).toEqual([1, undefined]);
      expect((await rows('key-batch-retry')).map((r) => r.request_id).sort()).toEqual(
        good.map((c) => c.requestId).sort(),
      );
      expect(await spendTotals('key-batch-retry')).toEqual(totals(good));
    } finally {
      await consumer.stop();
      await sql`drop trigger refuse_stubborn on usage_records`.execute(t.db);
      await sql`drop function refuse_stubborn()`.execute(t.db);
    }
  });

  it('records single and batch messages handed over in one consumer batch, and dead-letters a bad single whole', async () => {
    const singles = Array.from({ length: 10 }, () => usage('key-mixed', { costNanos: 300 }));
    const batches = Array.from({ length: 3 }, () =>
      Array.from({ length: 10 }, () => usage('key-mixed', { costNanos: 200 })),
    );
    const badSingle = usage('key-mixed', { startedAt: '0000-01-01T00:00:00Z' });
    // Published while no consumer runs, so the next one is handed them all at once.
    await Promise.all([publish([...singles.slice(0, 5), badSingle]), ...batches.map((b) => publishBatch(batchOf(b)))]);
    await publish(singles.slice(5));
    // An empty batch holds no call: acked, nothing recorded, nothing kept.
    await publishBatch('[]');
    const redeliveredBefore = (await consumerInfo()).num_redelivered;
    const consumer = await consumeUsage(nc, t.db, logger, OPTIONS);
    try {
      const calls = [...singles, ...batches.flat()];
      await waitFor(async () => (await rows('key-mixed')).length === calls.length, {
        timeoutMs: 10_000,
        description: 'all 40 calls recorded',
      });
      await waitFor(allAcked, { description: 'every message acked' });
      expect(await spendTotals('key-mixed')).toEqual(totals(calls));
      const dead = (await deadLetters()).filter((d) => d.body.includes('key-mixed') || d.body === '[]');
      expect(dead.map((d) => [JSON.parse(d.body).requestId, d.part, d.reason])).toEqual([
        [badSingle.requestId, undefined, 'SQLSTATE 22008'],
      ]);
      expect((await consumerInfo()).num_redelivered).toBe(redeliveredBefore);
    } finally {
      await consumer.stop();
    }
  });
  it('keeps a message of many malformed calls, or of more calls than a gateway sends, once and whole: one dead letter and one log line each', async () => {
    const good = Array.from({ length: 3 }, () => usage('key-amplify', { costNanos: 100 }));
    const manyBad = `[${[...good.map((c) => JSON.stringify(c)), ...Array.from({ length: 500 }, () => '{}')].join(',')}]`;
    const tooMany = `[${Array.from({ length: 1025 }, () => '{}').join(',')}]`;
    const consumer = await consumeUsage(nc, t.db, logger, OPTIONS);
    try {
      const seqs = [await publishBatch(manyBad), await publishBatch(tooMany)];
      await waitFor(allAcked, { description: 'both messages acked' });
      // The well-formed calls of the first are recorded all the same.
      expect(await spendTotals('key-amplify')).toEqual(totals(good));
      const dead = (await deadLetters()).filter((d) => seqs.map(String).includes(d.seq!));
      expect(dead.map((d) => [d.seq, d.part, d.reason, d.body.length])).toEqual([
        [String(seqs[0]), undefined, 'malformed: 500 of its 503 calls', manyBad.length],
        [String(seqs[1]), undefined, 'a batch of 1025 calls: more than 1024 in one message', tooMany.length],
      ]);
      expect(seqs.map((seq) => deadLogs(seq).length)).toEqual([1, 1]);
    } finally {
      await consumer.stop();
    }
  });

  it('records the calls of batch messages in statements of a bounded size', async () => {
    await sql`create table usage_statements (n int)`.execute(t.db);
    await sql`create function count_usage_statement() returns trigger language plpgsql as $$
      begin insert into usage_statements select count(*) from inserted; return null; end $$`.execute(t.db);
    await sql`create trigger count_usage_statement after insert on usage_records
      referencing new table as inserted for each statement execute function count_usage_statement()`.execute(t.db);
    const consumer = await consumeUsage(nc, t.db, logger, { ...OPTIONS, maxCallsPerStatement: 10 });
    try {
      const calls = Array.from({ length: 25 }, () => usage('key-bounded', { costNanos: 100 }));
      await publishBatch(batchOf(calls));
      await waitFor(async () => (await rows('key-bounded')).length === 25, {
        timeoutMs: 10_000,
        description: 'the 25 calls recorded',
      });
      const statements = await sql<{ n: number }>`select n from usage_statements`.execute(t.db);
      expect(statements.rows.map((r) => r.n)).toEqual([10, 10, 5]);
      expect(await spendTotals('key-bounded')).toEqual(totals(calls));
    } finally {
      await consumer.stop();
      await sql`drop trigger count_usage_statement on usage_records`.execute(t.db);
      await sql`drop function count_usage_statement()`.execute(t.db);
      await sql`drop table usage_statements`.execute(t.db);
    }
  });
});

/** A TCP proxy in front of Postgres that can drop every connection and refuse new ones, as a dead server would. */
async function startProxy(
  target: URL,
): Promise<{ urlFor(url: string): string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => {});
          s.on('close', () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', resolve);
    });
  const cut = async () => {
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const s of sockets) s.destroy();
    await closed;
    server = undefined;
  };
  await listen();
  return {
    urlFor: (url) => Object.assign(new URL(url), { hostname: '127.0.0.1', port: String(port) }).toString(),
    cut,
    restore: listen,
    close: cut,
  };
}
