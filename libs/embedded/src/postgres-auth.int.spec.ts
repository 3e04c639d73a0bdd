import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { findBinary, startPostgres, type EmbeddedPostgres } from '@sluice/embedded';

jest.setTimeout(60_000);

const query = async (url: string, sql: string) => {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
};
/** The server's address as anyone on the machine could use it: superuser, and no password or a guessed one. */
const withPassword = (url: string, password: string | null) => {
  const u = new URL(url);
  u.password = password ?? '';
  return u.toString();
};
/** As root, Postgres and its files belong to the postgres OS user. */
const clusterOwner = () => {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
};

describe('the embedded Postgres asks every client for its password', () => {
  let dataDir: string;
  let postgres: EmbeddedPostgres | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-pg-auth-'));
  });
  afterEach(async () => {
    await postgres?.stop();
    if (postgres) rmSync(postgres.clusterDir, { recursive: true, force: true });
    postgres = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a connection without the password or with a wrong one; the URL it hands out carries it, kept 0600 in a private data folder', async () => {
    postgres = await startPostgres({ dataDir, fsync: false });
    await expect(query(withPassword(postgres.url, null), 'select 1')).rejects.toThrow();
    await expect(query(withPassword(postgres.url, 'postgres'), 'select 1')).rejects.toThrow(
      /password authentication failed/,
    );
    expect(await query(postgres.url, 'select 1 as one')).toEqual([{ one: 1 }]);

    const passwordFile = join(dataDir, 'postgres-password');
    expect(new URL(postgres.url).password).toBe(readFileSync(passwordFile, 'utf8').trim());
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    // Owner only; as root the postgres user may also pass through (not list) to reach its cluster.
    expect(statSync(dataDir).mode & 0o777).toBe(process.getuid?.() === 0 ? 0o710 : 0o700);

    await postgres.restart();
    expect(await query(postgres.url, 'select 2 as two')).toEqual([{ two: 2 }]);
  });

  it('sets up the password at the first start of a data folder from before, which trusted every local client, and keeps its data', async () => {
    // What earlier versions made: `initdb -A trust`, and a table in it.
    const cluster = join(dataDir, 'postgres');
    mkdirSync(cluster, { mode: 0o700 });
    const owner = clusterOwner();
    if (owner.uid !== undefined) {
      chmodSync(dataDir, 0o755);
      chownSync(cluster, owner.uid, owner.gid);
    }
    const asOwner = { ...owner, cwd: '/', encoding: 'utf8' as const };
    const init = spawnSync(
      findBinary('initdb'),
      ['-D', cluster, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync'],
      asOwner,
    );
    expect(init.status).toBe(0);
    const seed = spawnSync(findBinary('postgres'), ['--single', '-D', cluster, 'postgres'], {
      ...asOwner,
      input: 'create table kept (v int);\ninsert into kept values (7);\n',
    });
    expect(seed.status).toBe(0);
    expect(existsSync(join(dataDir, 'postgres-password'))).toBe(false);

    postgres = await startPostgres({ dataDir, fsync: false });
    await expect(query(withPassword(postgres.url, null), 'select 1')).rejects.toThrow();
    await expect(query(withPassword(postgres.url, 'postgres'), 'select 1')).rejects.toThrow(
      /password authentication failed/,
    );
    expect(await query(postgres.url, 'select v from kept')).toEqual([{ v: 7 }]);
    expect(readFileSync(join(cluster, 'pg_hba.conf'), 'utf8')).not.toMatch(/^[^#]*\btrust\b/m);
  });
});
