import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { connect } from '@nats-io/transport-node';
import { BinaryNotFoundError, ensureDatabase, findBinary, startNatsServer, startPostgres } from '@sluice/embedded';

const query = async (url: string, sql: string) => {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
};

describe('embedded servers', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-embedded-'));
    if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps committed Postgres data through a SIGKILL and a restart on the same port', async () => {
    // fsync on: with synchronous_commit off, a SIGKILL may drop the last few hundred ms of commits.
    const postgres = await startPostgres({ dataDir, fsync: true });
    try {
      const url = await ensureDatabase(postgres.url, 'app');
      await expect(ensureDatabase(postgres.url, 'app')).resolves.toBe(url);
      await query(url, 'create table t (v int); insert into t values (42)');

      postgres.kill();
      await postgres.waitForExit();
      await expect(query(url, 'select 1')).rejects.toThrow();
      await postgres.restart();

      expect(await query(url, 'select v from t')).toEqual([{ v: 42 }]);
    } finally {
      await postgres.stop();
    }
  });

  it('serves NATS again on the same URL after a restart', async () => {
    const nats = await startNatsServer({ dataDir, monitorPort: 0 });
    expect(nats.monitorPort).toBeGreaterThan(0);
    try {
      await nats.restart();
      const nc = await connect({ servers: nats.url });
      await nc.close();
      expect(nats.process.exitCode).toBeNull();
    } finally {
      await nats.stop();
    }
    expect(nats.process.exitCode).not.toBeNull();
  });

  it('runs NATS under the Go settings for a local system, the environment’s own where it sets them', async () => {
    const settingsOf = (pid: number | undefined) =>
      Object.fromEntries(
        readFileSync(`/proc/${pid}/environ`, 'utf8')
          .split('\0')
          .filter((v) => /^GO(MEMLIMIT|MAXPROCS)=/.test(v))
          .map((v) => v.split('=')),
      );
    const nats = await startNatsServer({ dataDir });
    try {
      expect(settingsOf(nats.process.pid)).toEqual({ GOMEMLIMIT: '48MiB', GOMAXPROCS: '1' });
    } finally {
      await nats.stop();
    }
    process.env.GOMEMLIMIT = '100MiB';
    process.env.GOMAXPROCS = '4';
    const own = await startNatsServer({ dataDir });
    try {
      expect(settingsOf(own.process.pid)).toEqual({ GOMEMLIMIT: '100MiB', GOMAXPROCS: '4' });
    } finally {
      delete process.env.GOMEMLIMIT;
      delete process.env.GOMAXPROCS;
      await own.stop();
    }
  });

  it('names the Debian package when a binary is missing', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => findBinary('no-such-server')).toThrow(BinaryNotFoundError);
      expect(() => findBinary('no-such-server')).toThrow(/Debian package "no-such-server"/);
    } finally {
      process.env.PATH = path;
    }
  });
});
