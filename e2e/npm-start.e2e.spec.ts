import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { freePort, waitFor } from '@sluice/testing';
import { docScript, shellBlocks } from './support/doc-blocks';

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '..');
/** The documents whose shell blocks a newcomer runs top to bottom. */
const WALK_THROUGHS = ['README.md', 'docs/admin-api.md'];

/** A newcomer's shell: nothing pointing at another system. */
const withoutSystemEnv = (env: NodeJS.ProcessEnv) =>
  Object.fromEntries(
    Object.entries(env).filter(
      ([k]) =>
        ![
          'NATS_URL',
          'DATABASE_URL',
          'SLUICE_SERVICES',
          'SLUICE_ADMIN_TOKEN',
          'SLUICE_ADMIN_URL',
          'SLUICE_MASTER_KEY',
        ].includes(k),
    ),
  );

/**
 * `npm start` after its install and build steps: the supervisor's entry point, in its own process group as in a
 * terminal.
 */
class Runner {
  readonly child: ChildProcess;
  output = '';
  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [join(ROOT, 'apps', 'supervisor', 'dist', 'cli.js')], {
      cwd: ROOT,
      env: { ...withoutSystemEnv(process.env), ...env },
      detached: true,
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) stream.on('data', (d) => (this.output += d));
  }
  async ready(): Promise<void> {
    await waitFor(() => /Ctrl-C stops/.test(this.output) || this.child.exitCode !== null, { timeoutMs: 180_000 });
    if (this.child.exitCode !== null) throw new Error(`npm start exited:\n${this.output}`);
  }
  /** Ctrl-C in the terminal: SIGINT to the whole process group. */
  async interrupt(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    process.kill(-this.child.pid!, 'SIGINT');
    await exited;
  }
}

const refuses = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(false);
    });
    socket.once('error', () => done(true));
  });

/** Every process below `pid` now, children first found by their parent's pid in /proc. */
function descendantsOf(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name is in parentheses and may hold spaces: the parent pid is the second field after it.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parentOf)
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
  };
  walk(pid);
  return found;
}

/** Whether `pid` still runs (a zombie no one has reaped yet has stopped running). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('npm start as a newcomer meets it: the README walk-through, a second gateway, Ctrl-C', () => {
  let dataDir: string;
  let workDir: string;
  let first: Runner;
  let ports: Record<string, number>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-npm-start-'));
    workDir = mkdtempSync(join(tmpdir(), 'sluice-walk-through-'));
    const [gateway, admin, kr, policy, metering] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    ports = { gateway, admin, kr, policy, metering };
    first = new Runner({
      SLUICE_DATA_DIR: dataDir,
      SLUICE_GATEWAY_PORT: String(gateway),
      SLUICE_ADMIN_PORT: String(admin),
      SLUICE_KEY_REGISTRY_PORT: String(kr),
      SLUICE_POLICY_PORT: String(policy),
      SLUICE_METERING_PORT: String(metering),
      // An operator's own memory settings, over npm start's.
      SLUICE_METERING_MAX_HEAP_MB: '500',
      SLUICE_POSTGRES_SETTINGS: 'work_mem=8MB',
    });
    await first.ready();
  });

  afterAll(async () => {
    await first?.interrupt();
    const relocated = join(dataDir, 'postgres.location');
    if (existsSync(relocated))
      rmSync(readFileSync(relocated, 'utf8').split('\n')[0].trim(), { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  it.each(WALK_THROUGHS)('runs every shell block of %s in order, each succeeding', (file) => {
    const blocks = shellBlocks(ROOT, file);
    expect(blocks.length).toBeGreaterThan(1);
    const run = spawnSync('bash', ['-c', docScript(blocks)], {
      cwd: workDir,
      env: { ...withoutSystemEnv(process.env), SLUICE_DATA_DIR: dataDir, SLUICE_CHECKOUT: ROOT },
      encoding: 'utf8',
      timeout: 240_000,
    });
    const failedAt = [...run.stderr.matchAll(/::block (\S+)/g)].pop()?.[1];
    if (run.status !== 0)
      throw new Error(
        `${file}: the block at ${failedAt} failed (exit ${run.status}):\n${run.stderr.slice(-3000)}\n${run.stdout.slice(-3000)}`,
      );
    if (file === 'docs/admin-api.md') {
      // What the page shows the dry run answering is what it answers.
      expect(run.stdout).toContain(
        '{"allowed":false,"rule":"models","error":{"status":403,"type":"request_forbidden","code":"model_not_allowed"',
      );
      expect(run.stdout).toContain('- key search-indexer: revoke (managed by sluice-apply, no longer in the file)');
      expect(run.stdout).toContain('= key billing-service: unchanged');
    }
  });

  it("runs each service and Postgres with npm start's memory settings, or the operator's", async () => {
    const endpoints = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8'));
    const limits: Record<string, number> = {};
    for (const url of endpoints.metricsUrls as string[]) {
      const text = await (await fetch(url)).text();
      const service = /service_name="sluice-([a-z-]+)"/.exec(text)?.[1] ?? url;
      const bytes = /^sluice_process_memory_bytes\{kind="heap_limit"\} (\d+)$/m.exec(text)?.[1];
      limits[service] = Number(bytes) / 2 ** 20;
    }
    // V8's limit is the old generation's ceiling plus three semi-spaces (16 MB for the gateway, 4 for policy and
    // metering, 2).
    expect(limits).toEqual({
      gateway: 768 + 48,
      policy: 1536 + 12,
      metering: 500 + 12,
      'key-registry': 384 + 6,
      'admin-api': 384 + 6,
    });

    const pg = new Client({ connectionString: endpoints.databaseUrl });
    await pg.connect();
    try {
      const setting = async (name: string) => (await pg.query(`show ${name}`)).rows[0][name];
      expect([await setting('shared_buffers'), await setting('work_mem')]).toEqual(['32MB', '8MB']);
      expect([await setting('fsync'), await setting('synchronous_commit')]).toEqual(['on', 'on']);
    } finally {
      await pg.end();
    }
  });

  it('a second runner adding a gateway with the same data folder leaves endpoints.json to the first', async () => {
    const endpointsFile = join(dataDir, 'endpoints.json');
    const before = readFileSync(endpointsFile, 'utf8');
    const endpoints = JSON.parse(before);
    const port = await freePort();
    const second = new Runner({
      SLUICE_DATA_DIR: dataDir,
      SLUICE_SERVICES: 'gateway',
      SLUICE_GATEWAY_PORT: String(port),
      NATS_URL: endpoints.natsUrl,
      DATABASE_URL: endpoints.databaseUrl,
    });
    try {
      await second.ready();
      const demoKey = JSON.parse(readFileSync(join(dataDir, 'demo-key.json'), 'utf8')).key;
      const res = await fetch(`http://127.0.0.1:${port}/v1/models`, {
        headers: { authorization: `Bearer ${demoKey}` },
      });
      expect(res.status).toBe(200);
      expect(readFileSync(endpointsFile, 'utf8')).toBe(before);
    } finally {
      await second.interrupt();
    }
    expect(second.output).toMatch(/sluice: stopped \(gateway\)/);
    expect(readFileSync(endpointsFile, 'utf8')).toBe(before);
    expect((await fetch(`${endpoints.gatewayUrl}/models`)).status).toBe(401);
  });

  it('Ctrl-C stops every process, says so once they have all exited, and restarts none of them', async () => {
    let portsClosedWhenPrinted: boolean[] = [];
    const stoppedLine = new Promise<void>((done) =>
      first.child.stdout!.on('data', async (d) => {
        if (!String(d).includes('sluice: stopped')) return;
        portsClosedWhenPrinted = await Promise.all(Object.values(ports).map(refuses));
        done();
      }),
    );
    const at = first.output.length;
    await first.interrupt();
    const after = first.output.slice(at);
    expect(after).toMatch(/sluice: stopped \(key-registry, policy, metering, admin-api, gateway, nats, postgres\)/);
    expect(after).not.toMatch(/restarting/);
    await stoppedLine;
    expect(portsClosedWhenPrinted).toEqual(Object.values(ports).map(() => true));
  });

  it('a runner killed outright (SIGKILL, the OOM killer) takes every process it started with it, and npm start starts again', async () => {
    const env = {
      SLUICE_DATA_DIR: dataDir,
      SLUICE_GATEWAY_PORT: String(ports.gateway),
      SLUICE_ADMIN_PORT: String(ports.admin),
      SLUICE_KEY_REGISTRY_PORT: String(ports.kr),
      SLUICE_POLICY_PORT: String(ports.policy),
      SLUICE_METERING_PORT: String(ports.metering),
    };
    await first.interrupt();
    const killed = new Runner(env);
    await killed.ready();
    // The five services, nats-server, Postgres and its backends.
    const started = descendantsOf(killed.child.pid!);
    expect(started.length).toBeGreaterThanOrEqual(7);
    const exited = new Promise((r) => killed.child.once('exit', r));
    process.kill(killed.child.pid!, 'SIGKILL');
    await exited;
    try {
      await waitFor(() => started.every((pid) => !running(pid)), { timeoutMs: 60_000 });
    } finally {
      // What outlived it would hold this machine's ports for every later test.
      for (const pid of started.filter(running)) process.kill(pid, 'SIGKILL');
    }
    expect(await Promise.all(Object.values(ports).map(refuses))).toEqual(Object.values(ports).map(() => true));

    const again = new Runner(env);
    try {
      await again.ready();
      const endpoints = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8'));
      expect((await fetch(`${endpoints.gatewayUrl}/models`)).status).toBe(401);
    } finally {
      await again.interrupt();
    }
  });
});
