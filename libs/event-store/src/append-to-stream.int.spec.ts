import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { sql } from 'kysely';
import { Cleanup, lockWaiters, newEvent, settle, streamId } from '../test/helpers';
import { appendToStream, DuplicateEventError, readStream, WrongExpectedVersionError } from '.';

let testDb: TestDatabase;
beforeAll(async () => (testDb = await createTestDatabase()));
const cleanup = new Cleanup();
afterEach(() => cleanup.run());
afterAll(() => testDb?.drop());

const append = (id: string, expectedVersion: 'no_stream' | 'any' | number, events = [newEvent()]) =>
  appendToStream(testDb.db, { streamId: id, streamType: 'thing', expectedVersion, events });

describe('appendToStream', () => {
  it('creates a stream, appends at the expected version and reads it back in order', async () => {
    const id = streamId();
    const first = newEvent('Created', { name: 'a', tags: ['x', 'y'] });
    const created = await append(id, 'no_stream', [first]);
    const next = await append(id, created.nextExpectedVersion, [newEvent('Renamed'), newEvent('Renamed')]);

    expect(created).toEqual({ nextExpectedVersion: 1, positions: [expect.any(String)] });
    expect(next.nextExpectedVersion).toBe(3);
    expect(BigInt(next.positions[0])).toBeGreaterThan(BigInt(created.positions[0]));
    const events = await readStream(testDb.db, id);
    expect(events.map((e) => [e.streamVersion, e.type])).toEqual([
      [1, 'Created'],
      [2, 'Renamed'],
      [3, 'Renamed'],
    ]);
    expect(events[0]).toMatchObject({
      ...first,
      streamId: id,
      streamType: 'thing',
      globalPosition: created.positions[0],
    });
    expect(events[0].recordedAt).toBeInstanceOf(Date);
    expect((await readStream(testDb.db, id, { fromVersion: 3 })).map((e) => e.streamVersion)).toEqual([3]);
  });

  it('refuses a stale or future expected version and says what the actual version is', async () => {
    const id = streamId();
    await append(id, 'no_stream', [newEvent(), newEvent()]);

    await expect(append(id, 1)).rejects.toMatchObject({
      code: 'EVENT_STORE.WRONG_EXPECTED_VERSION',
      expected: 1,
      actual: 2,
    });
    await expect(append(id, 5)).rejects.toMatchObject({ expected: 5, actual: 2 });
    await expect(append(id, 'no_stream')).rejects.toBeInstanceOf(WrongExpectedVersionError);
    await expect(append(streamId(), 1)).rejects.toMatchObject({ actual: 0 });
    expect(await readStream(testDb.db, id)).toHaveLength(2);
  });

  it("appends at 'any' version, whatever the stream holds", async () => {
    const id = streamId();
    await append(id, 'any');
    const results = await Promise.all(Array.from({ length: 10 }, () => append(id, 'any')));
    expect(results.map((r) => r.nextExpectedVersion).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('lets exactly one of two transactions win at the same expected version, both begun before either commits', async () => {
    const id = streamId();
    await append(id, 'no_stream');
    const first = await cleanup.transaction(testDb.db);
    const second = await cleanup.transaction(testDb.db);
    const winner = newEvent('Won');

    await appendToStream(first, { streamId: id, streamType: 'thing', expectedVersion: 1, events: [winner] });
    const loser = settle(
      appendToStream(second, { streamId: id, streamType: 'thing', expectedVersion: 1, events: [newEvent('Lost')] }),
    );
    await lockWaiters(testDb.db, 1); // the second insert waits on the first's uncommitted row
    await first.commit().execute();
    const outcome = await loser;

    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error).toBeInstanceOf(WrongExpectedVersionError);
    expect((await readStream(testDb.db, id)).map((e) => e.eventId)).toEqual([expect.any(String), winner.eventId]);
  });

  it("lets exactly one of two concurrent 'no_stream' creates win", async () => {
    const id = streamId();
    const first = await cleanup.transaction(testDb.db);
    const second = await cleanup.transaction(testDb.db);

    await appendToStream(first, {
      streamId: id,
      streamType: 'thing',
      expectedVersion: 'no_stream',
      events: [newEvent()],
    });
    const loser = settle(
      appendToStream(second, { streamId: id, streamType: 'thing', expectedVersion: 'no_stream', events: [newEvent()] }),
    );
    await lockWaiters(testDb.db, 1);
    await first.commit().execute();
    const outcome = await loser;

    expect(!outcome.ok && outcome.error).toMatchObject({ code: 'EVENT_STORE.WRONG_EXPECTED_VERSION', streamId: id });
    expect(await readStream(testDb.db, id)).toHaveLength(1);
  });

  it('lets exactly one of many racing appenders win, each in its own transaction', async () => {
    const id = streamId();
    await append(id, 'no_stream');
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => settle(append(id, 1))));

    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    for (const o of outcomes.filter((o) => !o.ok)) expect(!o.ok && o.error).toBeInstanceOf(WrongExpectedVersionError);
    expect(await readStream(testDb.db, id)).toHaveLength(2);
  });

  it('commits the append with the caller’s own writes, or neither', async () => {
    const id = streamId();
    await sql`create table read_model (id text primary key)`.execute(testDb.db);
    await expect(
      testDb.db.transaction().execute(async (trx) => {
        await sql`insert into read_model values (${id})`.execute(trx);
        await appendToStream(trx, {
          streamId: id,
          streamType: 'thing',
          expectedVersion: 'no_stream',
          events: [newEvent()],
        });
        throw new Error('handler failed after appending');
      }),
    ).rejects.toThrow('handler failed');
    expect(await readStream(testDb.db, id)).toEqual([]);
    expect((await sql`select * from read_model`.execute(testDb.db)).rows).toEqual([]);
  });

  it('refuses an event whose eventId is already recorded, on any stream', async () => {
    const event = newEvent();
    await append(streamId(), 'no_stream', [event]);
    const other = streamId();

    await expect(append(other, 'no_stream', [event])).rejects.toBeInstanceOf(DuplicateEventError);
    await expect(append(other, 'no_stream', [event])).rejects.toMatchObject({ code: 'EVENT_STORE.DUPLICATE_EVENT' });
    expect(await readStream(testDb.db, other)).toEqual([]);
  });
});

describe('the events table', () => {
  it('refuses UPDATE, DELETE and TRUNCATE: the log is append-only', async () => {
    const id = streamId();
    await append(id, 'no_stream');

    await expect(
      sql`update events set event_type = 'Tampered' where stream_id = ${id}`.execute(testDb.db),
    ).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(sql`delete from events where stream_id = ${id}`.execute(testDb.db)).rejects.toThrow(
      /append-only: DELETE refused/,
    );
    await expect(sql`truncate events`.execute(testDb.db)).rejects.toThrow(/append-only: TRUNCATE refused/);
    expect((await readStream(testDb.db, id)).map((e) => e.type)).toEqual(['SomethingHappened']);
  });
});
