import { type Kysely, sql } from 'kysely';
import { freshDatabasePerTest, eventually, newEvent, streamId } from '../test/helpers';
import { appendToStream, Sealer, verifyChain } from '.';

const fresh = freshDatabasePerTest();
const cleanup = fresh.cleanup;

const append = (db: Kysely<any> = fresh.db.db) =>
  appendToStream(db, {
    streamId: streamId(),
    streamType: 'thing',
    expectedVersion: 'no_stream',
    events: [newEvent('Thing', { n: Math.random(), nested: { b: 1, a: 2 } })],
  });

function startSealer(): Sealer {
  const sealer = new Sealer({ db: fresh.db.db, databaseUrl: fresh.db.url, pollMs: 20, batchSize: 7 });
  sealer.start();
  cleanup.defer(() => sealer.stop());
  return sealer;
}

const links = async () =>
  (
    await sql<{
      seq: string;
      global_position: string;
    }>`select seq, global_position from event_chain order by seq`.execute(fresh.db.db)
  ).rows;
const sealedCount = async () => (await links()).length;

/** Runs one statement as superuser with the append-only triggers off, as an attacker with DB access would. */
async function tamper(statement: ReturnType<typeof sql>): Promise<void> {
  await fresh.db.db.connection().execute(async (conn) => {
    await sql`set session_replication_role = replica`.execute(conn);
    await statement.execute(conn);
    await sql`set session_replication_role = origin`.execute(conn);
  });
}

describe('Sealer', () => {
  it('chains concurrent appends, including one that commits late, in the global log order', async () => {
    startSealer();
    const late = await cleanup.transaction(fresh.db.db);
    const lateAppend = await append(late);
    await Promise.all(Array.from({ length: 40 }, () => append()));
    await late.commit().execute();

    await eventually(sealedCount, (n) => n === 41);
    const { rows: logOrder } = await sql<{
      global_position: string;
    }>`select global_position from events order by transaction_id, global_position`.execute(fresh.db.db);
    const chained = await links();
    expect(chained.map((l) => l.global_position)).toEqual(logOrder.map((r) => r.global_position));
    expect(chained.map((l) => l.seq)).toEqual(chained.map((_, i) => String(i + 1)));
    expect(chained.map((l) => l.global_position)).toContain(lateAppend.positions[0]);
    expect(await verifyChain(fresh.db.db, { pageSize: 10 })).toMatchObject({ ok: true, checked: 41, firstBreak: null });
  });

  it('refuses UPDATE and DELETE of a link', async () => {
    startSealer();
    await append();
    await eventually(sealedCount, (n) => n === 1);
    await expect(sql`update event_chain set hash = 'x'`.execute(fresh.db.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from event_chain`.execute(fresh.db.db)).rejects.toThrow(/append-only/);
  });
});

describe('verifyChain after someone edits the database directly', () => {
  let positions: string[];
  beforeEach(async () => {
    startSealer();
    for (let i = 0; i < 12; i++) await append();
    await eventually(sealedCount, (n) => n === 12);
    positions = (await links()).map((l) => l.global_position);
  });

  it('names the edited event row', async () => {
    await tamper(sql`update events set data = jsonb_set(data, '{n}', '0') where global_position = ${positions[6]}`);
    expect(await verifyChain(fresh.db.db, { pageSize: 5 })).toMatchObject({
      ok: false,
      checked: 6,
      firstBreak: { position: positions[6], reason: 'event_modified' },
    });
  });

  it('names an event whose recorded time moved by a microsecond', async () => {
    await tamper(
      sql`update events set recorded_at = recorded_at + interval '1 microsecond' where global_position = ${positions[3]}`,
    );
    expect((await verifyChain(fresh.db.db)).firstBreak).toMatchObject({
      position: positions[3],
      reason: 'event_modified',
    });
  });

  it('names a deleted event row', async () => {
    await tamper(sql`delete from events where global_position = ${positions[9]}`);
    expect((await verifyChain(fresh.db.db)).firstBreak).toMatchObject({
      position: positions[9],
      reason: 'event_missing',
    });
  });

  it('names a row inserted behind the sealer', async () => {
    const { rows } = await sql<{
      transaction_id: string;
    }>`select transaction_id from events where global_position = ${positions[2]}`.execute(fresh.db.db);
    await tamper(sql`insert into events (global_position, transaction_id, stream_id, stream_type, stream_version, event_id, event_type, schema_version, data, metadata)
      overriding system value values (${BigInt(positions[2]) * 1000n}, ${rows[0].transaction_id}::xid8, 'forged', 'thing', 1, gen_random_uuid(), 'Forged', 1, '{}', '{}')`);
    expect((await verifyChain(fresh.db.db)).firstBreak).toMatchObject({
      position: String(BigInt(positions[2]) * 1000n),
      reason: 'event_unsealed',
    });
  });
});
