import { freshDatabasePerTest, eventually, newEvent, sleep, streamId } from '../test/helpers';
import { appendToStream, type NewEvent, type RecordedEvent, OutboxPublisher, type OutboxPublisherOptions } from '.';

const fresh = freshDatabasePerTest();
const cleanup = fresh.cleanup;

const append = (...events: NewEvent[]) =>
  appendToStream(fresh.db.db, { streamId: streamId(), streamType: 'thing', expectedVersion: 'no_stream', events });

function relay(publish: OutboxPublisherOptions['publish']): OutboxPublisher {
  const r = new OutboxPublisher({
    db: fresh.db.db,
    databaseUrl: fresh.db.url,
    publish,
    pollMs: 50,
    retryMs: 50,
    lockRetryMs: 100,
  });
  cleanup.defer(() => r.stop());
  return r;
}

function recordingRelay(published: string[]): OutboxPublisher {
  return relay(async (event) => void published.push(event.eventId));
}

describe('OutboxPublisher', () => {
  it('publishes each event once, in log order, across a restart', async () => {
    const before = [newEvent(), newEvent(), newEvent()];
    await append(before[0], before[1]);
    await append(before[2]);
    const published: string[] = [];

    const first = recordingRelay(published);
    first.start();
    await eventually(
      () => published.length,
      (n) => n === 3,
    );
    await first.stop();
    const after = [newEvent(), newEvent()];
    await append(after[0]);
    await append(after[1]);
    const second = recordingRelay(published);
    second.start();
    await eventually(
      () => published.length,
      (n) => n >= 5,
    );
    await sleep(200);
    await second.stop();

    expect(published).toEqual([...before, ...after].map((e) => e.eventId));
  });

  it('retries a failed publish and publishes nothing beyond it until it succeeds', async () => {
    const events = [newEvent(), newEvent(), newEvent()];
    await append(...events);
    const attempts: string[] = [];
    const published: string[] = [];
    let failuresLeft = 2;
    const r = relay(async (event: RecordedEvent) => {
      attempts.push(event.eventId);
      if (event.eventId === events[1].eventId && failuresLeft-- > 0) throw new Error('JetStream unavailable');
      published.push(event.eventId);
    });

    r.start();
    await eventually(
      () => published.length,
      (n) => n === 3,
    );
    await r.stop();

    const [e1, e2, e3] = events.map((e) => e.eventId);
    expect(attempts).toEqual([e1, e2, e2, e2, e3]);
    expect(published).toEqual([e1, e2, e3]);
  });

  it('lets only the lock holder publish; a standby takes over when it stops', async () => {
    const published: string[] = [];
    const leader = recordingRelay(published);
    leader.start();
    await eventually(() => leader.isLeader, Boolean);
    const standby = recordingRelay(published);
    standby.start();

    const events = [newEvent(), newEvent()];
    await append(events[0]);
    await eventually(
      () => published.length,
      (n) => n === 1,
    );
    await sleep(300);
    expect(standby.isLeader).toBe(false);

    await leader.stop();
    await eventually(() => standby.isLeader, Boolean);
    await append(events[1]);
    await eventually(
      () => published.length,
      (n) => n === 2,
    );
    await sleep(200);
    await standby.stop();

    expect(published).toEqual(events.map((e) => e.eventId));
  });
});
