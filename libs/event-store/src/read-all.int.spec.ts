import { type Kysely, sql } from 'kysely';
import { freshDatabasePerTest, eventually, newEvent, sleep, streamId } from '../test/helpers';
import {
  appendToStream,
  EventFollower,
  type EventFollowerOptions,
  loadCheckpoint,
  type NewEvent,
  positionOf,
  readAll,
  readCommittedAfter,
  type RecordedEvent,
} from '.';

const fresh = freshDatabasePerTest();
const cleanup = fresh.cleanup;

const append = (db: Kysely<any> = fresh.db.db, event: NewEvent = newEvent()) =>
  appendToStream(db, { streamId: streamId(), streamType: 'thing', expectedVersion: 'no_stream', events: [event] });
const readEverything = () => readAll(fresh.db.db, { after: null, limit: 100 });
const ids = (events: RecordedEvent[]) => events.map((e) => e.eventId);

describe('readAll', () => {
  it('reads committed events of every stream in log order, after a position, up to a limit', async () => {
    const events = [newEvent(), newEvent(), newEvent()];
    for (const event of events) await append(fresh.db.db, event);

    const all = await eventually(readEverything, (found) => found.length === 3);
    expect(ids(all)).toEqual(events.map((e) => e.eventId));
    expect(ids(await readAll(fresh.db.db, { after: positionOf(all[0]), limit: 1 }))).toEqual([events[1].eventId]);
    expect(await readAll(fresh.db.db, { after: positionOf(all[2]), limit: 100 })).toEqual([]);
  });

  it('never returns a later commit while an earlier transaction with a lower position is still in flight', async () => {
    const late = newEvent('Late');
    const early = newEvent('Early');
    const trxA = await cleanup.transaction(fresh.db.db);
    const a = await append(trxA, late);
    const b = await append(fresh.db.db, early);
    expect(BigInt(a.positions[0])).toBeLessThan(BigInt(b.positions[0]));

    await sleep(100);
    expect(await readEverything()).toEqual([]);

    await trxA.commit().execute();
    expect(ids(await eventually(readEverything, (found) => found.length === 2))).toEqual([late.eventId, early.eventId]);
  });

  it('readCommittedAfter returns what is committed now, also while an older transaction holds the horizon back', async () => {
    const trxA = await cleanup.transaction(fresh.db.db);
    await sql`select pg_current_xact_id()`.execute(trxA);
    const committed = newEvent('Committed');
    await append(fresh.db.db, committed);
    expect(await readEverything()).toEqual([]);
    expect(ids(await readCommittedAfter(fresh.db.db, { after: null, limit: 100 }))).toEqual([committed.eventId]);
    await trxA.rollback().execute();
  });
});

describe('EventFollower', () => {
  function follow(received: RecordedEvent[], opts: { pollMs?: number } = {}) {
    return tracked({
      db: fresh.db.db,
      databaseUrl: fresh.db.url,
      checkpointName: 'projection:test',
      pollMs: opts.pollMs ?? 50,
      handler: async (events) => void received.push(...events),
    });
  }

  function tracked(opts: EventFollowerOptions): EventFollower {
    const follower = new EventFollower(opts);
    cleanup.defer(() => follower.stop());
    return follower;
  }

  it('never skips a late commit, and resumes from its checkpoint after a restart', async () => {
    const received: RecordedEvent[] = [];
    const follower = follow(received);
    await follower.start();
    const first = newEvent('First');
    await append(fresh.db.db, first);
    await eventually(
      () => received.length,
      (n) => n === 1,
    );

    const late = newEvent('Late');
    const early = newEvent('Early');
    const trxA = await cleanup.transaction(fresh.db.db);
    await append(trxA, late);
    await append(fresh.db.db, early);
    await sleep(300); // several polls and a notification: none may deliver `early` before `late`
    expect(ids(received)).toEqual([first.eventId]);

    await trxA.commit().execute();
    await eventually(
      () => received.length,
      (n) => n === 3,
    );
    await follower.stop();
    expect(ids(received)).toEqual([first.eventId, late.eventId, early.eventId]);
    expect(await loadCheckpoint(fresh.db.db, 'projection:test')).toEqual(positionOf(received[2]));

    const afterRestart: RecordedEvent[] = [];
    const restarted = follow(afterRestart);
    await restarted.start();
    const next = newEvent('AfterRestart');
    await append(fresh.db.db, next);
    await eventually(
      () => afterRestart.length,
      (n) => n >= 1,
    );
    await restarted.stop();
    expect(ids(afterRestart)).toEqual([next.eventId]);
  });

  it('wakes on the commit notification rather than waiting for the next poll', async () => {
    const received: RecordedEvent[] = [];
    const follower = follow(received, { pollMs: 60_000 });
    await follower.start();
    await sleep(100); // let its first read find the log empty and start waiting
    const started = Date.now();
    await append();
    await eventually(
      () => received.length,
      (n) => n === 1,
      5_000,
    );
    await follower.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('delivers an event held back by an older, unrelated transaction as soon as that one ends, without a poll', async () => {
    const received: RecordedEvent[] = [];
    const follower = follow(received, { pollMs: 60_000 });
    await follower.start();
    await sleep(100);
    const older = await cleanup.transaction(fresh.db.db);
    await sql`select pg_current_xact_id()`.execute(older); // an xid, as any writing transaction has
    await append();
    await sleep(100); // the notification came; the event is committed but below no xmin yet
    expect(received).toEqual([]);
    await older.rollback().execute(); // ends without a notification
    const ended = Date.now();
    await eventually(
      () => received.length,
      (n) => n === 1,
      5_000,
    );
    await follower.stop();
    expect(Date.now() - ended).toBeLessThan(1_000);
  });

  it('commits a transactional handler’s writes with the checkpoint, and retries a failed batch', async () => {
    await sql`create table seen (event_id uuid primary key)`.execute(fresh.db.db);
    let failures = 1;
    const follower = tracked({
      db: fresh.db.db,
      databaseUrl: fresh.db.url,
      checkpointName: 'projection:seen',
      pollMs: 50,
      retryMs: 50,
      transactional: true,
      handler: async (events, trx) => {
        for (const e of events) await sql`insert into seen values (${e.eventId})`.execute(trx);
        if (failures-- > 0) throw new Error('projection failed after writing');
      },
    });
    const event = newEvent();
    await append(fresh.db.db, event);
    await follower.start();
    const seen = () => sql<{ event_id: string }>`select event_id from seen`.execute(fresh.db.db).then((r) => r.rows);
    await eventually(seen, (rows) => rows.length === 1);
    await follower.stop();

    expect(failures).toBe(-1); // failed once, then succeeded: the failed attempt's insert was rolled back
    expect(await seen()).toEqual([{ event_id: event.eventId }]);
    expect(await loadCheckpoint(fresh.db.db, 'projection:seen')).toMatchObject({ globalPosition: expect.any(String) });
  });
});
