import type { LogPosition } from '@sluice/event-store';
import { AppliedVersions } from './applied-versions';
import type { EventLog, LogEvent } from './event-log';
import { LogFollower } from './log-follower';

const event = (streamId: string, streamVersion: number, type = 'KeyUpdated', data: unknown = {}): LogEvent => ({
  eventId: `${streamId}@${streamVersion}`,
  type,
  schemaVersion: 1,
  streamId,
  streamVersion,
  data,
  recordedAt: new Date(0).toISOString(),
});
/**
 * The log as an array in global order; the cursor is an index. `down` makes every read fail;
 * `horizon` is how many events the horizon-bound reader sees (an older transaction holds the rest back).
 */
function memoryLog(events: LogEvent[]): EventLog & { down: boolean; horizon: number } {
  const page = (cursor: LogPosition | null, limit: number, upTo: number) => {
    if (log.down) throw new Error('connection refused');
    const from = cursor ? Number(cursor.globalPosition) : 0;
    const found = events.slice(from, Math.min(upTo, from + limit));
    return { events: found, cursor: { transactionId: '1', globalPosition: String(from + found.length) } };
  };
  const log = {
    down: false,
    horizon: Infinity,
    async readAfter(cursor: LogPosition | null, limit: number) {
      return page(cursor, limit, log.horizon);
    },
    async readCommittedAfter(cursor: LogPosition | null, limit: number) {
      return page(cursor, limit, Infinity);
    },
    async readStream(streamId: string, fromVersion: number) {
      if (log.down) throw new Error('connection refused');
      return events.filter((e) => e.streamId === streamId && e.streamVersion >= fromVersion);
    },
  };
  return log;
}

describe('following the log whichever way its events come', () => {
  const setup = (events: LogEvent[]) => {
    const applied: string[] = [];
    const bodies: LogEvent[] = [];
    const warnings: string[] = [];
    const log = memoryLog(events);
    const logger = { info: () => {}, warn: (_fields: object, msg: string) => void warnings.push(msg) };
    const follower = new LogFollower(
      log,
      new AppliedVersions(),
      (e) => {
        applied.push(`${e.streamId}@${e.streamVersion}`);
        bodies.push(e);
      },
      logger,
    );
    return { applied, bodies, warnings, log, follower };
  };

  it('at start applies everything committed, also above a horizon an older transaction holds back, and moves its cursor only to the horizon', async () => {
    // Given a log whose last two events are above the horizon (an unrelated transaction is still open)
    const { applied, log, follower } = setup([event('key-a', 1), event('key-b', 1), event('key-a', 2)]);
    log.horizon = 1;
    // When policy starts, then its periodic check runs once the transaction ended
    expect(await follower.catchUpToNow()).toBe(3);
    log.horizon = Infinity;
    expect(await follower.catchUp()).toBe(0);
    // Then every event was in force before policy answered anything, each applied once
    expect(applied).toEqual(['key-a@1', 'key-b@1', 'key-a@2']);
  });

  it('applies each event once, in its stream order, however often JetStream delivers it', async () => {
    const { applied, follower } = setup([event('key-a', 1), event('key-a', 2)]);
    for (const e of [event('key-a', 1), event('key-a', 1), event('key-a', 2)]) await follower.offer(e);
    expect(applied).toEqual(['key-a@1', 'key-a@2']);
  });

  it('reads the versions JetStream skipped from the log before a later one of the same stream', async () => {
    const { applied, follower } = setup([event('key-a', 1), event('key-b', 1), event('key-a', 2), event('key-a', 3)]);
    await follower.offer(event('key-a', 1));
    await follower.offer(event('key-a', 3));
    expect(applied).toEqual(['key-a@1', 'key-a@2', 'key-a@3']);
  });

  it('applies on a check what JetStream never delivered, and nothing twice when JetStream brings it after all', async () => {
    const { applied, follower } = setup([event('key-a', 1), event('key-b', 1), event('key-a', 2)]);
    await follower.offer(event('key-a', 1));
    expect(await follower.catchUp()).toBe(2);
    await follower.offer(event('key-b', 1));
    expect(await follower.catchUp()).toBe(0);
    expect(applied).toEqual(['key-a@1', 'key-b@1', 'key-a@2']);
  });

  it('never applies past a gap it cannot fill: the event waits for the next check', async () => {
    const { applied, log, follower } = setup([event('key-a', 1), event('key-a', 2), event('key-a', 3)]);
    await follower.offer(event('key-a', 1));
    log.down = true;
    await follower.offer(event('key-a', 3));
    await expect(follower.catchUp()).rejects.toThrow('connection refused');
    expect(applied).toEqual(['key-a@1']);
    log.down = false;
    await follower.catchUp();
    expect(applied).toEqual(['key-a@1', 'key-a@2', 'key-a@3']);
  });

  describe('a message on the bus is only a signal: what is applied is the log', () => {
    it('applies the row the log holds, not the body the message carries', async () => {
      const { bodies, warnings, follower } = setup([
        event('key-a', 1, 'KeyCreated', { keyId: 'a', budget: { maxUsd: 1 } }),
      ]);
      await follower.offer(event('key-a', 1, 'KeyCreated', { keyId: 'a', budget: null }));
      expect(bodies.map((e) => e.data)).toEqual([{ keyId: 'a', budget: { maxUsd: 1 } }]);
      expect(warnings).toEqual(['an event message differs from its row in the log in Postgres; the row was applied']);
    });

    it('applies nothing for a message of a stream the log does not hold (a key nobody created)', async () => {
      const { applied, warnings, follower } = setup([event('key-a', 1)]);
      await follower.offer(event('key-forged', 1, 'KeyCreated', { keyId: 'forged' }));
      expect(applied).toEqual([]);
      expect(warnings).toEqual(['an event message has no row in the log in Postgres; nothing applied']);
      expect(await follower.catchUp()).toBe(1);
      expect(applied).toEqual(['key-a@1']);
    });

    it('does not let a message at the next version hide the real event of that version', async () => {
      const { applied, bodies, follower } = setup([event('key-a', 1), event('key-a', 2, 'KeyRevoked', { keyId: 'a' })]);
      await follower.offer(event('key-a', 1));
      // A forged update at version 2, then the real revocation (version 2 in the log) as the relay publishes it.
      await follower.offer({ ...event('key-a', 2), eventId: 'forged' });
      await follower.offer(event('key-a', 2, 'KeyRevoked', { keyId: 'a' }));
      expect(applied).toEqual(['key-a@1', 'key-a@2']);
      expect(bodies[1]).toMatchObject({ eventId: 'key-a@2', type: 'KeyRevoked' });
    });

    it('stays quiet about a message that is its row', async () => {
      const { applied, warnings, follower } = setup([event('key-a', 1), event('key-a', 2)]);
      await follower.offer(event('key-a', 1));
      await follower.offer(event('key-a', 2));
      expect(applied).toEqual(['key-a@1', 'key-a@2']);
      expect(warnings).toEqual([]);
    });
  });
});
