import { jetstreamManager } from '@nats-io/jetstream';
import { startTestNats, waitFor, type TestNats } from '@sluice/testing';
import { connectNats, type NatsConnection } from './connection';
import { consumeDurableBatches, publishDurable } from './jetstream';

describe('consuming a durable stream in batches (real NATS)', () => {
  let nats: TestNats;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await connectNats(nats.url, 'batch-test');
    await (await jetstreamManager(nc)).streams.add({ name: 'BATCH_TEST', subjects: ['batch.test'] });
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
});
