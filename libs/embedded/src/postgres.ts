import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { describeExit, restartable, spawnChild, type RunningChild } from './child';
import { findBinary } from './find-binary';
import { freePort, sleep } from './net';
import { clusterPassword, initdbAuth, setPasswordStatement, trustsClients, writeHba } from './postgres-auth';
import { prepareClusterDir, type ClusterDir } from './postgres-cluster-dir';

export interface PostgresOptions {
  /**
   * The cluster lives in <dataDir>/postgres (see prepareClusterDir for root), the superuser's
   * password in <dataDir>/postgres-password (0600), the log in <dataDir>/postgres.log.
   */
  dataDir: string;
  /** 0 or undefined: a free port is picked once and kept across restarts. */
  port?: number;
  host?: string;
  /** false trades durability for speed (tests): fsync, synchronous_commit and full_page_writes off. */
  fsync?: boolean;
  /** Extra server settings, passed as `-c name=value`. */
  settings?: Record<string, string | number>;
  startTimeoutMs?: number;
  stopWithParent?: boolean;
  handleSignals?: boolean;
}

export interface EmbeddedPostgres {
  /** Superuser URL of the `postgres` database, with the password: the server asks every client for it. */
  readonly url: string;
  readonly port: number;
  /** Where the cluster actually lives (differs from <dataDir>/postgres only when relocated as root). */
  readonly clusterDir: string;
  readonly process: ChildProcess;
  /** Fast shutdown (SIGINT), resolves when the server has exited. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would; pair with waitForExit() to know it is gone. */
  kill(): void;
  waitForExit(): Promise<void>;
  /** Stops the server if it still runs, then starts it again on the same port and data. */
  restart(): Promise<void>;
}

// After a SIGKILL, orphaned backends keep the old shared memory attached for a moment.
const TRANSIENT_START_FAILURE = /shared memory block|lock file .* already exists/;
const START_ATTEMPTS = 50;

export async function startPostgres(options: PostgresOptions): Promise<EmbeddedPostgres> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port || (await freePort(host));
  const cluster = prepareClusterDir(options.dataDir);
  const { password, generated } = clusterPassword(options.dataDir);
  const created = await initClusterIfEmpty(cluster, options.fsync ?? true, password);
  // A cluster from before trusted every local client (initdb -A trust); one whose password file was lost has another
  // password.
  if (!created && (generated || trustsClients(cluster.dir))) await requirePassword(cluster, password);

  const url = `postgres://postgres:${password}@${host}:${port}/postgres`;
  const args = ['-D', cluster.dir, '-p', String(port), '-c', `listen_addresses=${host}`];
  // No Unix socket: everything connects over loopback TCP, and socket paths have a 107-byte limit.
  args.push('-k', '');
  if (options.fsync === false)
    args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  for (const [name, value] of Object.entries(options.settings ?? {})) args.push('-c', `${name}=${value}`);

  const launch = async (): Promise<RunningChild> => {
    for (let attempt = 1; ; attempt++) {
      const child = spawnChild({
        name: 'postgres',
        command: findBinary('postgres'),
        args,
        uid: cluster.owner?.uid,
        gid: cluster.owner?.gid,
        logFile: join(resolve(options.dataDir), 'postgres.log'),
        stopSignal: 'SIGINT',
        stopWithParent: options.stopWithParent ?? true,
        handleSignals: options.handleSignals ?? false,
      });
      try {
        await waitUntilReady(child, url, options.startTimeoutMs ?? 30_000);
        return child;
      } catch (err) {
        child.kill();
        await child.exited;
        if (attempt >= START_ATTEMPTS || !TRANSIENT_START_FAILURE.test(child.output())) throw err;
        await sleep(200);
      }
    }
  };

  const handle = await restartable(launch);
  return Object.defineProperties(
    {
      url,
      port,
      clusterDir: cluster.dir,
    },
    Object.getOwnPropertyDescriptors(handle),
  ) as EmbeddedPostgres;
}

/** Creates the cluster if there is none; whether it did. */
async function initClusterIfEmpty(cluster: ClusterDir, fsync: boolean, password: string): Promise<boolean> {
  if (existsSync(join(cluster.dir, 'PG_VERSION'))) return false;
  if (readdirSync(cluster.dir).length > 0) {
    throw new Error(
      `${cluster.dir} is not empty and holds no Postgres cluster (no PG_VERSION); move it away or pick another data dir`,
    );
  }
  const auth = initdbAuth(password, cluster.owner);
  const args = ['-D', cluster.dir, '-U', 'postgres', ...auth.args, '-E', 'UTF8', '--no-locale'];
  if (!fsync) args.push('--no-sync');
  await run(findBinary('initdb'), args, cluster.owner).finally(auth.done);
  return true;
}

/** Gives the superuser the password (in single-user mode: nothing listens meanwhile) and makes every client give it. */
async function requirePassword(cluster: ClusterDir, password: string): Promise<void> {
  await run(
    findBinary('postgres'),
    ['--single', '-D', cluster.dir, 'postgres'],
    cluster.owner,
    setPasswordStatement(password),
  );
  writeHba(cluster);
}

function run(command: string, args: string[], owner?: { uid: number; gid: number }, input?: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(command, args, {
      cwd: '/',
      uid: owner?.uid,
      gid: owner?.gid,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    proc.stdin?.end(input);
    let output = '';
    proc.stdout!.on('data', (chunk) => (output += chunk));
    proc.stderr!.on('data', (chunk) => (output += chunk));
    proc.once('error', reject);
    proc.once('exit', (code) =>
      code === 0
        ? resolvePromise()
        : reject(new Error(`${command} ${args.join(' ')} failed (code ${code}):\n${output}`)),
    );
  });
}

async function waitUntilReady(child: RunningChild, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (child.hasExited()) throw new Error(describeExit('postgres', await child.exited, child.output()));
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (err) {
      // 28P01: the server is up and refuses the password; waiting will not change that.
      if ((err as { code?: string }).code === '28P01')
        throw new Error(
          `postgres at ${redactedUrl(url)} refused the password kept in postgres-password: ${(err as Error).message}`,
        );
      lastError = (err as Error).message;
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(100);
  }
  throw new Error(
    `postgres did not accept connections at ${redactedUrl(url)} within ${timeoutMs} ms (${lastError})\n${child.output()}`,
  );
}

/** Creates database `name` on the server at `url` if it does not exist; returns that database's URL. */
export async function ensureDatabase(url: string, name: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const existing = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (existing.rowCount === 0) {
      await client.query(`create database ${quoteIdent(name)}`).catch((err: { code?: string }) => {
        // Another process created it between our check and our create.
        if (err.code !== '42P04' && err.code !== '23505') throw err;
      });
    }
  } finally {
    await client.end();
  }
  return databaseUrl(url, name);
}

/** The URL with its password replaced by `***`, for messages and printing. */
export function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** The same server URL pointing at another database. */
export function databaseUrl(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
