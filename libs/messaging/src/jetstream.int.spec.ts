import { jetstreamManager } from '@nats-io/jetstream';
import { startTestNats, waitFor, type TestNats } from '@sluice/testing';
import { connectNats, type NatsConnection } from './connection';
import { setTimeout as sleep } from 'node:timers/promises';
import { consumeDurableBatches } from './durable-batches';
import { durableCaughtUp, publishDurable, type DeadLetterSource } from './jetstream';

describe('consuming a durable stream in batches (real NATS)', () => {
  let nats: TestNats;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await connectNats(nats.url, 'batch-test');
    await (await jetstreamManager(nc)).streams.add({ name: 'BATCH_TEST', subjects: ['batch.test'] });
    await (await jetstreamManager(nc)).streams.add({ name: 'HOLD_TEST', subjects: ['hold.test.*'] });
    await (await jetstreamManager(nc)).streams.add({ name: 'LINGER_TEST', subjects: ['linger.test.*'] });
  });
  afterAll(async () => {
    await nc?.drain();
    await nats?.stop();
  });

  it('hands over bounded batches, acks them after the handler, and redelivers a batch whose handler failed', async () => {
    const total = 600;
    await Promise.all(Array.from({ length: total }, (_, i) => publishDurable(nc, 'batch.test', { i }, `m-${i}`)));
    const seen = new Set<number>();
    const sizes: number[] = [];
    let failed = false;
    const consumer = await consumeDurableBatches(nc, {
      stream: 'BATCH_TEST',
      durable: 'batch-test',
      maxBatch: 100,
      maxWaitMs: 5,
      handler: async (msgs) => {
        sizes.push(msgs.length);
        if (!failed) {
          failed = true;
          throw new Error('first batch fails');
        }
        for (const msg of msgs) seen.add((msg.json() as { i: number }).i);
      },
    });
    await waitFor(() => seen.size === total, { timeoutMs: 10_000 });
    await consumer.stop();
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    const info = await (await jetstreamManager(nc)).consumers.info('BATCH_TEST', 'batch-test');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it('holds a batch whose failure is "not now" and retries it in place: no redelivery, no delivery used up, even past the ack wait', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => publishDurable(nc, 'hold.test.now', { i }, `now-${i}`)));
    const deliveries: number[] = [];
    let failures = 0;
    const outageUntil = Date.now() + 1500; // three times the ack wait
    const consumer = await consumeDurableBatches(nc, {
      stream: 'HOLD_TEST',
      durable: 'hold-in-place',
      filterSubject: 'hold.test.now',
      ackWaitMs: 500,
      maxDeliver: 2,
      handler: async (msgs) => {
        deliveries.push(...msgs.map((m) => m.info.deliveryCount));
        if (Date.now() < outageUntil) {
          failures++;
          throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        }
      },
      retryInPlace: (err) => (err as { code?: string }).code === 'ECONNREFUSED',
    });
    const jsm = await jetstreamManager(nc);
    await waitFor(
      async () =>
        (await jsm.consumers.info('HOLD_TEST', 'hold-in-place')).num_ack_pending === 0 && Date.now() > outageUntil,
      { timeoutMs: 10_000 },
    );
    await consumer.stop();
    const info = await jsm.consumers.info('HOLD_TEST', 'hold-in-place');
    expect(failures).toBeGreaterThan(3);
    expect(Math.max(...deliveries)).toBe(1);
    expect([info.num_redelivered, info.num_pending, info.num_ack_pending, info.delivered.stream_seq]).toEqual([
      0, 0, 0, 20,
    ]);
  });

  it('naks only the messages the handler hands back, and reports one that reached its delivery limit', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => publishDurable(nc, 'hold.test.limit', { i }, `limit-${i}`)));
    const handled = new Map<number, number>();
    const givenUp: DeadLetterSource[] = [];
    const consumer = await consumeDurableBatches(nc, {
      stream: 'HOLD_TEST',
      durable: 'hold-limit',
      filterSubject: 'hold.test.limit',
      maxDeliver: 3,
      handler: async (msgs) => {
        for (const msg of msgs)
          handled.set(msg.json<{ i: number }>().i, (handled.get(msg.json<{ i: number }>().i) ?? 0) + 1);
        return { retry: msgs.filter((msg) => msg.json<{ i: number }>().i === 7) };
      },
      onMaxDeliveries: async (msg) => void givenUp.push(msg),
    });
    const [dead] = await waitFor(() => givenUp.length > 0 && givenUp, {
      timeoutMs: 10_000,
      description: 'the max-deliveries advisory',
    });
    await consumer.stop();
    expect(new TextDecoder().decode(dead.data)).toBe('{"i":7}');
    expect(dead.subject).toBe('hold.test.limit');
    expect([...handled].sort(([a], [b]) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => [i, i === 7 ? 3 : 1]));
    const info = await (await jetstreamManager(nc)).consumers.info('HOLD_TEST', 'hold-limit');
    expect([info.num_ack_pending, info.num_pending]).toEqual([0, 0]);
  });

  /** Publishes `n` messages one after another, `gapMs` apart: calls arriving alone, as at a low rate. */
  const trickle = async (subject: string, n: number, gapMs: number) => {
    for (let i = 0; i < n; i++) {
      if (i > 0) await sleep(gapMs);
      await publishDurable(nc, subject, { i }, `${subject}-${i}`);
    }
  };

  it('lingers: messages published apart within the wait are handed over as one batch', async () => {
    const sizes: number[] = [];
    const consumer = await consumeDurableBatches(nc, {
      stream: 'LINGER_TEST',
      durable: 'linger-wait',
      filterSubject: 'linger.test.wait',
      maxWaitMs: 1000,
      handler: async (msgs) => void sizes.push(msgs.length),
    });
    await trickle('linger.test.wait', 5, 20);
    await waitFor(() => sizes.length > 0, { timeoutMs: 10_000, description: 'the batch' });
    await consumer.stop();
    expect(sizes).toEqual([5]);
  });

  it('flushNow hands a held batch over at once, and the next message too when it holds none', async () => {
    const jsm = await jetstreamManager(nc);
    const sizes: number[] = [];
    const consumer = await consumeDurableBatches(nc, {
      stream: 'LINGER_TEST',
      durable: 'linger-flush',
      filterSubject: 'linger.test.flush',
      maxWaitMs: 60_000,
      handler: async (msgs) => void sizes.push(msgs.length),
    });
    await trickle('linger.test.flush', 3, 5);
    // Given the three messages held, delivered and not handled
    await waitFor(async () => (await jsm.consumers.info('LINGER_TEST', 'linger-flush')).num_ack_pending === 3, {
      timeoutMs: 10_000,
      description: 'the three messages delivered',
    });
    expect(sizes).toEqual([]);
    // When a reader asks for them, they are handled and acked long before the 60 s wait
    consumer.flushNow();
    await waitFor(async () => (await jsm.consumers.info('LINGER_TEST', 'linger-flush')).num_ack_pending === 0, {
      timeoutMs: 10_000,
      description: 'the held batch acked',
    });
    expect(sizes).toEqual([3]);
    // A flush with nothing held hands over the message that arrives next
    consumer.flushNow();
    await publishDurable(nc, 'linger.test.flush', { i: 3 }, 'linger.test.flush-3');
    await waitFor(() => sizes.length === 2, { timeoutMs: 10_000, description: 'the next message handled' });
    expect(sizes).toEqual([3, 1]);
    await consumer.stop();
  });

  it("durableCaughtUp with the consumer's flush answers in well under the consumer's wait", async () => {
    const consumer = await consumeDurableBatches(nc, {
      stream: 'LINGER_TEST',
      durable: 'linger-caught-up',
      filterSubject: 'linger.test.caught-up',
      maxWaitMs: 60_000,
      handler: async () => {},
    });
    await trickle('linger.test.caught-up', 2, 5);
    // Without the flush, the consumer holds the messages for a minute: not caught up after 300 ms
    expect(await durableCaughtUp(nc, 'LINGER_TEST', 'linger-caught-up', 300)).toBe(false);
    expect(await durableCaughtUp(nc, 'LINGER_TEST', 'linger-caught-up', 10_000, () => consumer.flushNow())).toBe(true);
    await consumer.stop();
  });

  it('hands a held batch over within its ack wait however long the batch wait: nothing is redelivered while it waits', async () => {
    const deliveries: number[] = [];
    const consumer = await consumeDurableBatches(nc, {
      stream: 'LINGER_TEST',
      durable: 'linger-ack-wait',
      filterSubject: 'linger.test.ack-wait',
      maxWaitMs: 60_000,
      ackWaitMs: 600,
      handler: async (msgs) => void deliveries.push(...msgs.map((m) => m.info.deliveryCount)),
    });
    await trickle('linger.test.ack-wait', 2, 5);
    await waitFor(() => deliveries.length === 2, { timeoutMs: 10_000, description: 'the batch handled' });
    await consumer.stop();
    expect(deliveries).toEqual([1, 1]);
    const info = await (await jetstreamManager(nc)).consumers.info('LINGER_TEST', 'linger-ack-wait');
    expect([info.num_redelivered, info.num_ack_pending]).toEqual([0, 0]);
  });
});
