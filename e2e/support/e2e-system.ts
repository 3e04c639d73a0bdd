import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createDb, type Database } from '@sluice/db';
import { ensureDatabase, startPostgres, type EmbeddedPostgres } from '@sluice/embedded';
import { startMockUpstream, type MockUpstream, type MockUpstreamOptions } from '@sluice/mock-llm';
import { startSystem, type RunningSystem } from '@sluice/supervisor';
import { freePort, startTestNats, type TestNats, createTestDatabase, type TestDatabase } from '@sluice/testing';

const ROOT_DIR = resolve(__dirname, '..', '..');

export interface AdminReply {
  status: number;
  body: any;
}

export interface E2eSystem {
  system: RunningSystem;
  nats: TestNats;
  database: TestDatabase;
  /** Set with `ownPostgres`: the server behind `database`, to kill and restart. */
  postgres?: EmbeddedPostgres;
  upstream: MockUpstream;
  /** Every line every service printed, prefixed with the service name. */
  output: string[];
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<AdminReply>;
  /** Another gateway process on the same NATS (as `SLUICE_SERVICES=gateway npm start` would start). */
  startGateway(env?: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }>;
  /**
   * An openai-compatible provider on the mock upstream and one catalog model per name (routed to the
   * upstream model of the same name, $1 / $2 per million tokens); returns the provider id.
   */
  addCatalog(providerName: string, models: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The real system for an end-to-end test: a NATS server and a database of its own, a mock
 * upstream, and the five services as supervised processes built from dist/.
 */
export async function startE2eSystem(
  opts: {
    env?: Record<string, string>;
    upstream?: MockUpstreamOptions;
    /** A Postgres server of this test's own (not the shared one), so the test may kill it. */
    ownPostgres?: boolean;
    /** Runs on the database before any service starts (e.g. to write what an older version left). */
    beforeServices?: (database: TestDatabase) => Promise<void>;
    /** The vault's master key (else one is generated): a test that hunts for it in answers must know it. */
    masterKey?: string;
  } = {},
): Promise<E2eSystem> {
  const dataDirs = [mkdtempSync(join(tmpdir(), 'sluice-e2e-'))];
  const [nats, { database, postgres }, upstream] = await Promise.all([
    startTestNats(),
    opts.ownPostgres
      ? startOwnDatabase(dataDirs)
      : createTestDatabase({ migrate: false }).then((database) => ({ database, postgres: undefined })),
    startMockUpstream(opts.upstream),
  ]);
  await opts.beforeServices?.(database).catch(async (err) => {
    await Promise.all([nats.stop(), upstream.close(), database.drop()]);
    throw err;
  });
  const output: string[] = [];
  const extraGateways: RunningSystem[] = [];
  const onOutput = (service: string, line: string) => output.push(`${service} ${line}`);
  const [gatewayPort, adminPort, kr, policy, metering] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const metricsPorts = {
    gateway: await freePort(),
    'admin-api': await freePort(),
    'key-registry': await freePort(),
    policy: await freePort(),
    metering: await freePort(),
  };
  const system = await startSystem({
    rootDir: ROOT_DIR,
    dataDir: dataDirs[0],
    natsUrl: nats.url,
    databaseUrl: database.url,
    gatewayPort,
    adminPort,
    internalPorts: { 'key-registry': kr, policy, metering },
    metricsPorts,
    masterKey: opts.masterKey,
    env: { SLUICE_METERING_ACK_WAIT_MS: '1000', LOG_LEVEL: 'debug', ...opts.env },
    output: onOutput,
  }).catch(async (err) => {
    await Promise.all([nats.stop(), upstream.close(), database.drop()]);
    throw err;
  });

  const admin = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<AdminReply> => {
    const res = await fetch(`${system.adminUrl}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${system.adminToken}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  const startGateway = async (env: Record<string, string> = {}) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-e2e-gw-'));
    dataDirs.push(dataDir);
    const gateway = await startSystem({
      rootDir: ROOT_DIR,
      dataDir,
      natsUrl: nats.url,
      databaseUrl: database.url,
      services: ['gateway'],
      gatewayPort: await freePort(),
      metricsPorts: { gateway: await freePort() },
      adminToken: system.adminToken,
      env: { LOG_LEVEL: 'debug', ...opts.env, ...env },
      output: (service, line) => onOutput(`${service}-${extraGateways.length + 1}`, line),
    });
    extraGateways.push(gateway);
    return { url: gateway.gatewayUrl.replace('localhost', '127.0.0.1'), stop: () => gateway.stop() };
  };

  return {
    system,
    nats,
    database,
    postgres,
    upstream,
    output,
    admin,
    startGateway,
    async addCatalog(providerName, models) {
      const provider = await admin('POST', '/providers', {
        name: providerName,
        type: 'openai-compatible',
        apiKey: `sk-upstream-${providerName}-0123456789`,
        baseUrl: upstream.url,
      });
      if (provider.status !== 201)
        throw new Error(`provider ${providerName}: ${provider.status} ${JSON.stringify(provider.body)}`);
      for (const name of models) {
        const model = await admin('POST', '/models', {
          name,
          providerId: provider.body.id,
          upstreamModel: name,
          inputUsdPerMTok: 1,
          outputUsdPerMTok: 2,
        });
        if (model.status !== 201) throw new Error(`model ${name}: ${model.status} ${JSON.stringify(model.body)}`);
      }
      return provider.body.id as string;
    },
    async stop() {
      for (const gateway of extraGateways) await gateway.stop();
      await system.stop();
      keepOutput(output);
      await Promise.all([nats.stop(), upstream.close(), database.drop()]);
      for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Postgres server in a folder of its own, with an empty `sluice` database the services migrate. */
async function startOwnDatabase(dataDirs: string[]): Promise<{ database: TestDatabase; postgres: EmbeddedPostgres }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-e2e-pg-'));
  dataDirs.push(dataDir);
  // mkdtemp makes a 0700 folder; as root, Postgres runs as the postgres user and must reach it.
  if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
  // Durable commits, as `npm start` runs it: with synchronous_commit off (the shared test server's
  // setting) a SIGKILL loses commits already acknowledged, and with them usage already acked to JetStream.
  const postgres = await startPostgres({
    dataDir,
    port: await freePort(),
    fsync: true,
    settings: { max_connections: 200 },
  });
  const url = await ensureDatabase(postgres.url, 'sluice').catch(async (err) => {
    await postgres.stop();
    throw err;
  });
  const db = createDb<Database>(url);
  const drop = async () => {
    await db.destroy();
    await postgres.stop();
  };
  return { postgres, database: { db, url, drop } };
}

/**
 * With SLUICE_E2E_LOG_DIR set, every system's service output is kept there on stop, one file per
 * test file and system (what to read when an e2e test failed: CONTRIBUTING.md).
 */
function keepOutput(output: readonly string[]): void {
  const dir = process.env.SLUICE_E2E_LOG_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const test = basename(expect.getState().testPath ?? 'e2e', '.ts');
  writeFileSync(join(dir, `${test}.${process.pid}.${Date.now()}.log`), `${output.join('\n')}\n`);
}
