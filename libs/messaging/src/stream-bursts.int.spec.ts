import { jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { startTestNats, waitFor, type TestNats } from '@sluice/testing';
import { connectNats, type NatsConnection } from './connection';
import { publishDurable } from './jetstream';
import { followStreamInBursts } from './stream-bursts';

describe('following a stream in bursts (real NATS)', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let n = 0;
  const publish = (subject: string, i: number) => publishDurable(nc, subject, { i }, `m-${++n}`);
  const numbers = (seen: JsMsg[]) => seen.map((m) => (m.json() as { i: number }).i);

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await connectNats(nats.url, 'bursts-test');
    await (await jetstreamManager(nc)).streams.add({ name: 'BURSTS', subjects: ['bursts.>'] });
  });
  afterAll(async () => {
    await nc?.drain();
    await nats?.stop();
  });

  it('replays what is stored, then handles every later message once, in order, burst after burst', async () => {
    for (let i = 0; i < 3; i++) await publish('bursts.a', i);
    const seen: JsMsg[] = [];
    const follower = await followStreamInBursts(nc, {
      stream: 'BURSTS',
      filterSubject: 'bursts.a',
      everyMs: 100,
      handler: (msg) => void seen.push(msg),
    });
    try {
      await follower.caughtUp;
      expect(numbers(seen)).toEqual([0, 1, 2]);
      for (let burst = 1; burst <= 3; burst++) {
        for (let i = 0; i < 5; i++) await publish('bursts.a', burst * 10 + i);
        await waitFor(() => seen.length === 3 + burst * 5, { timeoutMs: 10_000, intervalMs: 10 });
      }
      expect(numbers(seen)).toEqual([0, 1, 2, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24, 30, 31, 32, 33, 34]);
      expect(new Set(seen.map((m) => m.seq)).size).toBe(seen.length);
    } finally {
      await follower.stop();
    }
  });

  it('is not held up by messages its filter leaves out at the end of the stream', async () => {
    const seen: JsMsg[] = [];
    const follower = await followStreamInBursts(nc, {
      stream: 'BURSTS',
      filterSubject: 'bursts.b',
      deliverNew: true,
      everyMs: 100,
      handler: (msg) => void seen.push(msg),
    });
    try {
      await follower.caughtUp;
      await publish('bursts.b', 1);
      await publish('bursts.other', 2); // never handed to this follower
      await waitFor(() => seen.length === 1, { timeoutMs: 10_000, intervalMs: 10 });
      await publish('bursts.other', 3);
      await publish('bursts.b', 4);
      await waitFor(() => seen.length === 2, { timeoutMs: 10_000, intervalMs: 10 });
      expect(numbers(seen)).toEqual([1, 4]);
    } finally {
      await follower.stop();
    }
  });

  it('stops at once, and handles nothing after it stopped', async () => {
    await publish('bursts.c', 0);
    const seen: JsMsg[] = [];
    const follower = await followStreamInBursts(nc, {
      stream: 'BURSTS',
      filterSubject: 'bursts.c',
      everyMs: 60_000,
      handler: (msg) => void seen.push(msg),
    });
    await follower.caughtUp;
    await follower.stop(); // would wait out the 60 s pause if stopping did not end it
    await publish('bursts.c', 1);
    await nc.flush();
    expect(numbers(seen)).toEqual([0]);
  });
});
