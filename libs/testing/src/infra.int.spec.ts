import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Client } from 'pg';
import { startTestNats, testDatabaseUrl, waitFor, type TestNats } from '@sluice/testing';

describe('test infrastructure', () => {
  let nats: TestNats;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startTestNats();
    // Reconnect quickly after the restart below instead of the 2 s default.
    nc = await connect({ servers: nats.url, reconnectTimeWait: 50 });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('round-trips a message through NATS', async () => {
    const sub = nc.subscribe('sanity.ping', { max: 1 });
    nc.publish('sanity.ping', 'hello');
    for await (const msg of sub) expect(msg.string()).toBe('hello');
    expect(sub.getProcessed()).toBe(1);
  });

  it('stores a JetStream publish once when its msgID repeats, across a server restart', async () => {
    const jsm = await jetstreamManager(nc, { timeout: 1000 });
    await jsm.streams.add({ name: 'SANITY', subjects: ['sanity.js.>'] });
    const js = jetstream(nc);

    const first = await js.publish('sanity.js.one', 'payload', { msgID: 'm-1' });
    const second = await js.publish('sanity.js.one', 'payload', { msgID: 'm-1' });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect((await jsm.streams.info('SANITY')).state.messages).toBe(1);

    await nats.kill();
    await nats.restart();
    const stored = await waitFor(async () => (await jsm.streams.info('SANITY')).state.messages, {
      timeoutMs: 10_000,
      description: 'the client to reconnect and read the stream',
    });
    expect(stored).toBe(1);
  });

  it('reaches the Postgres started for this run', async () => {
    const client = new Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      const { rows } = await client.query('select 1 as one, rolsuper from pg_roles where rolname = current_user');
      expect(rows).toEqual([{ one: 1, rolsuper: true }]);
    } finally {
      await client.end();
    }
  });
});

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let calls = 0;
    await expect(waitFor(() => ++calls >= 3 && calls, { intervalMs: 1 })).resolves.toBe(3);
  });

  it('names what it waited for and the last error on timeout', async () => {
    const waiting = waitFor(
      () => {
        throw new Error('still 0 rows');
      },
      { timeoutMs: 30, intervalMs: 5, description: 'a row' },
    );
    await expect(waiting).rejects.toThrow(/timed out after 30 ms waiting for a row; last attempt threw: still 0 rows/);
  });
});
