import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { Streams, Subjects, type UsageMessage } from '@sluice/contracts';
import { connectNats, ensureStreams, type NatsConnection } from '@sluice/messaging';
import { startTestNats, waitFor, type TestNats } from '@sluice/testing';
import { UsagePublisher } from './usage-publisher';
import { usageFixture } from '../../test/usage-fixture';

jest.setTimeout(60_000);

const message = (requestId: string): UsageMessage => usageFixture(requestId);

describe('UsagePublisher (real NATS JetStream)', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  beforeAll(async () => {
    nats = await startTestNats();
    nc = await connectNats(nats.url, 'usage-publisher-test');
    await ensureStreams(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  const stored = async () => (await (await jetstreamManager(nc)).streams.info(Streams.usage.name)).state.messages;
  const lastStored = async () =>
    (await jetstreamManager(nc)).streams.getMessage(Streams.usage.name, { last_by_subj: Subjects.usage });

  it('publishes the calls that end within the window as one stored message, and acknowledges each only once it is stored', async () => {
    const before = await stored();
    const acked: string[] = [];
    const publisher = new UsagePublisher(nc, pino({ level: 'silent' }), (id) => acked.push(id), 60_000);
    publisher.publish(message('req-a'));
    publisher.publish(message('req-b'));
    publisher.publish(message('req-c'));
    await new Promise((r) => setTimeout(r, 50));
    expect(acked).toEqual([]); // still waiting for its window
    await publisher.flush(5000);
    expect(await stored()).toBe(before + 1);
    const last = await lastStored();
    expect(last!.json<UsageMessage[]>().map((u) => u.requestId)).toEqual(['req-a', 'req-b', 'req-c']);
    expect(acked).toEqual(['req-a', 'req-b', 'req-c']);
  });

  it('publishes a call alone under its request id once its window passes, so a second copy is stored once', async () => {
    const before = await stored();
    const publisher = new UsagePublisher(nc, pino({ level: 'silent' }), undefined, 20);
    publisher.publish(message('req-alone'));
    await waitFor(async () => (await stored()) === before + 1, { description: 'the call, without a flush' });
    expect(await publisher.deliver(message('req-alone'))).toBe(true);
    expect(await stored()).toBe(before + 1);
    const last = await lastStored();
    expect(last!.json<UsageMessage>().requestId).toBe('req-alone');
  });

  it('publishes one message per call, under its request id, when batches are off (-1, for a rolling upgrade)', async () => {
    const before = await stored();
    const publisher = new UsagePublisher(nc, pino({ level: 'silent' }), undefined, -1);
    for (const id of ['req-one-1', 'req-one-2', 'req-one-3']) publisher.publish(message(id));
    await publisher.flush(5000);
    expect(await stored()).toBe(before + 3);
    const last = await lastStored();
    expect(last!.json<UsageMessage>().requestId).toBe('req-one-3');
  });

  it('closes a batch before it outgrows a NATS message', async () => {
    const before = await stored();
    const publisher = new UsagePublisher(nc, pino({ level: 'silent' }), undefined, 60_000);
    // ~100 KB each: a 1 MB max_payload takes three of them (a character may be three bytes of UTF-8).
    for (let i = 0; i < 7; i++)
      publisher.publish({ ...message(`req-big-${i}`), metadata: { note: 'x'.repeat(100_000) } });
    await publisher.flush(5000);
    expect(await stored()).toBe(before + 3);
  });

  it('sends the waiting batch at once with an early settlement: its durable copy leaves with it', async () => {
    const before = await stored();
    const publisher = new UsagePublisher(nc, pino({ level: 'silent' }), undefined, 60_000);
    publisher.publish(message('req-waiting'));
    await publisher.settleNow(message('req-settled-early'));
    // No flush: a window of a minute, and both are stored.
    await waitFor(async () => (await stored()) === before + 1, {
      description: 'the batch, without waiting its window',
    });
    const last = await lastStored();
    expect(last!.json<UsageMessage[]>().map((u) => u.requestId)).toEqual(['req-waiting', 'req-settled-early']);
  });

  it('keeps retrying while NATS is down and lands the message once it is back', async () => {
    const before = await stored();
    const publisher = new UsagePublisher(nc, pino({ level: 'silent' }));
    await nats.kill();
    publisher.publish(message('req-during-outage'));
    await new Promise((r) => setTimeout(r, 500));
    await nats.restart();
    await waitFor(async () => (await stored()) === before + 1, {
      timeoutMs: 20_000,
      intervalMs: 200,
      description: 'the usage message after the restart',
    });
    await publisher.flush(5000);
    expect(await stored()).toBe(before + 1);
  });

  it('hands policy a call’s usage over core NATS with its one durable copy, waiting on NATS only when the key is near a limit', async () => {
    const policy = await connectNats(nats.url, 'fake-policy');
    // Whether settleNow resolved within the turn it was called in (before any reply could come back).
    const withinTurn = (settling: Promise<void>) =>
      Promise.race([
        settling.then(() => 'within the turn'),
        new Promise((resolve) => setImmediate(resolve, 'a later turn')),
      ]);
    try {
      const heard: UsageMessage[] = [];
      policy.subscribe(Subjects.rpc.policySettle, {
        callback: (_err, msg) => void heard.push(msg.json<UsageMessage>()),
      });
      await policy.flush();
      const before = await stored();
      const publisher = new UsagePublisher(nc, pino({ level: 'silent' }));
      const early = message('req-early');
      expect(await withinTurn(publisher.settleNow(early))).toBe('within the turn');
      publisher.publish(early); // what the pipeline does once the response is written
      await waitFor(() => heard.length === 1, { timeoutMs: 2000, intervalMs: 5 });
      expect(heard[0].requestId).toBe('req-early');
      // The durable copy went with the settlement, once: the later publish adds none.
      await publisher.flush(5000);
      expect(await stored()).toBe(before + 1);

      // Near a limit, policy asks for the settlement to be confirmed: once settleNow resolves, NATS
      // has routed it (policy's next round trip finds it delivered).
      const confirmed = message('req-confirmed');
      const settling = publisher.settleNow(confirmed, true);
      expect(await withinTurn(settling)).toBe('a later turn');
      await settling;
      await policy.flush();
      expect(heard.map((m) => m.requestId)).toEqual(['req-early', 'req-confirmed']);

      await nats.kill();
      expect(await withinTurn(publisher.settleNow(message('req-while-down')))).toBe('within the turn');
      const started = performance.now();
      await publisher.settleNow(message('req-confirmed-while-down'), true);
      expect(performance.now() - started).toBeLessThan(1000);
      await nats.restart();
    } finally {
      await policy.close();
    }
  });
});
