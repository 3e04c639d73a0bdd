import { join } from 'node:path';
import { ensureDatabase, makeDataDirPrivate, startNatsServer, startPostgres, writePrivateFile } from '@sluice/embedded';
import { loadNatsPasswords, natsUsers, readNatsUsers, saveNatsUsers } from './nats-users';
import { memoryArgs, withMemoryOptions } from './node-memory';
import { pickPort } from './ports';
import { postgresSettings } from './postgres-settings';
import { newAdminToken, newMasterKey, newWebhookSecret, persistentSecret } from './secrets';
import { serviceEnv } from './service-env';
import { SERVICE_NAMES, type ServiceName } from './service-names';
import { ServiceProcess, type Output } from './service-process';

/** What `npm start` allows as provider base URLs besides public addresses: this machine's loopback. */
export const LOCAL_UPSTREAMS = '127.0.0.0/8,::1';

export { SERVICE_NAMES, type ServiceName } from './service-names';

/** Preferred `/metrics` ports on one machine (9464 is the OpenTelemetry Prometheus exporter's default). */
const METRICS_PORTS: Record<ServiceName, number> = {
  gateway: 9464,
  'admin-api': 9465,
  'key-registry': 9466,
  policy: 9467,
  metering: 9468,
};

export interface SystemOptions {
  /** The repository root: service entry points are `services/<name>/dist/main.js` below it. */
  rootDir: string;
  /** Where the embedded NATS and Postgres keep their data, and the generated secrets. */
  dataDir: string;
  natsUrl?: string;
  databaseUrl?: string;
  services?: readonly ServiceName[];
  gatewayPort?: number;
  adminPort?: number;
  /** Ports of the internal services' health endpoints. */
  internalPorts?: Partial<Record<'key-registry' | 'policy' | 'metering', number>>;
  /**
   * Ports of each service's `GET /metrics`; unset ones are 9464 on (gateway, admin-api, key-registry, policy,
   * metering), or any free port.
   */
  metricsPorts?: Partial<Record<ServiceName, number>>;
  adminToken?: string;
  masterKey?: string;
  /** Extra environment for every service (a secret among it reaches only the services that read it). */
  env?: Record<string, string>;
  output: Output;
}

export interface RunningSystem {
  /** Where endpoints.json (and the embedded servers' data) is: 0700, or 0710 with the postgres group as root. */
  dataDir: string;
  gatewayUrl: string;
  adminUrl: string;
  natsUrl: string;
  databaseUrl: string;
  /** Each started service's Prometheus endpoint (also in endpoints.json as `metricsUrls`). */
  metricsUrls: Partial<Record<ServiceName, string>>;
  adminToken: string;
  adminTokenGenerated: boolean;
  /** False for a runner that only adds services to a system another runner started (endpoints.json is that one's). */
  wroteEndpoints: boolean;
  /** Where the generated webhook signing secret is kept; null when it came from the environment. */
  webhookSecretFile: string | null;
  services: Map<ServiceName, ServiceProcess>;
  embedded: {
    nats?: { kill(): void; restart(): Promise<void> };
    postgres?: { kill(): void; restart(): Promise<void> };
  };
  stop(): Promise<void>;
}

/**
 * Brings up the whole system: embedded NATS and Postgres unless URLs are given, then every
 * requested service as its own supervised process, and waits until each is ready.
 */
export async function startSystem(opts: SystemOptions): Promise<RunningSystem> {
  makeDataDirPrivate(opts.dataDir);
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups.length = 0;
  };
  try {
    const embedded: RunningSystem['embedded'] = {};
    let natsUrl = opts.natsUrl;
    // Each service connects as its own NATS user. A runner given the URL of the embedded NATS that
    // a runner on the same data folder started (a second gateway) finds the passwords there.
    let natsPasswords = natsUrl ? readNatsUsers(opts.dataDir) : undefined;
    if (!natsUrl) {
      const passwords = loadNatsPasswords(opts.dataDir);
      const nats = await startNatsServer({
        dataDir: opts.dataDir,
        port: await pickPort(4222),
        users: natsUsers(passwords),
      });
      cleanups.push(() => nats.stop());
      embedded.nats = nats;
      natsUrl = nats.url;
      natsPasswords = { url: natsUrl, passwords };
      saveNatsUsers(opts.dataDir, natsPasswords);
    }
    const natsUserOf = (service: ServiceName): Record<string, string> =>
      natsPasswords?.url === natsUrl ? { NATS_USER: service, NATS_PASSWORD: natsPasswords.passwords[service] } : {};
    let databaseUrl = opts.databaseUrl;
    if (!databaseUrl) {
      const pg = await startPostgres({
        dataDir: opts.dataDir,
        port: await pickPort(5432),
        settings: postgresSettings(process.env),
      });
      cleanups.push(() => pg.stop());
      embedded.postgres = pg;
      databaseUrl = await ensureDatabase(pg.url, 'sluice');
    }
    const admin = persistentSecret(
      opts.adminToken ?? process.env.SLUICE_ADMIN_TOKEN,
      join(opts.dataDir, 'admin-token'),
      newAdminToken,
    );
    const masterKey = persistentSecret(
      opts.masterKey ?? process.env.SLUICE_MASTER_KEY,
      join(opts.dataDir, 'master.key'),
      newMasterKey,
    );
    // Budget webhooks are always signed: a receiver can tell Sluice's deliveries from anyone's.
    const webhookSecretFile = join(opts.dataDir, 'webhook-secret');
    const webhookSecretFromEnv = opts.env?.SLUICE_WEBHOOK_SECRET ?? process.env.SLUICE_WEBHOOK_SECRET;
    const webhookSecret = persistentSecret(webhookSecretFromEnv, webhookSecretFile, newWebhookSecret);

    const gatewayPort = opts.gatewayPort ?? 8080;
    const adminPort = opts.adminPort ?? 8081;
    const ports: Record<ServiceName, number> = {
      gateway: gatewayPort,
      'admin-api': adminPort,
      'key-registry': opts.internalPorts?.['key-registry'] ?? 8091,
      policy: opts.internalPorts?.policy ?? 8092,
      metering: opts.internalPorts?.metering ?? 8093,
    };
    const env: Record<string, string> = {
      NATS_URL: natsUrl,
      DATABASE_URL: databaseUrl,
      SLUICE_ADMIN_TOKEN: admin.value,
      SLUICE_MASTER_KEY: masterKey.value,
      SLUICE_WEBHOOK_SECRET: webhookSecret.value,
      // The gateway keeps its usage spool here, so a gateway restarted by this supervisor finds it.
      SLUICE_DATA_DIR: opts.dataDir,
      // Local model servers (Ollama, vLLM) and test doubles listen on loopback; services started
      // on their own (docker compose, deploy/) refuse every non-public upstream unless told.
      SLUICE_UPSTREAM_ALLOW: process.env.SLUICE_UPSTREAM_ALLOW ?? LOCAL_UPSTREAMS,
      // A development machine's admin API and internal services are not the network's business.
      SLUICE_HOST: process.env.SLUICE_HOST ?? '127.0.0.1',
      SLUICE_GATEWAY_PORT: String(ports.gateway),
      SLUICE_ADMIN_PORT: String(ports['admin-api']),
      SLUICE_KEY_REGISTRY_PORT: String(ports['key-registry']),
      SLUICE_POLICY_PORT: String(ports.policy),
      SLUICE_METERING_PORT: String(ports.metering),
      // This supervisor restarts a gateway on its own spool, whose successor reports the calls it
      // left: a leased call need not be told to policy as it starts (docs/limits.md#leases).
      SLUICE_GATEWAY_LEASE_NOTICE_MS: process.env.SLUICE_GATEWAY_LEASE_NOTICE_MS ?? '250',
      ...opts.env,
    };

    const services = new Map<ServiceName, ServiceProcess>();
    // All at once: a Ctrl-C reached every service too, and one still waiting its turn would take
    // its own exit for a crash and say it restarts.
    cleanups.push(async () => void (await Promise.all([...services.values()].map((s) => s.stop()))));
    const metricsUrls: RunningSystem['metricsUrls'] = {};
    for (const name of opts.services ?? SERVICE_NAMES) {
      const metricsPort = opts.metricsPorts?.[name] ?? (await pickPort(METRICS_PORTS[name]));
      metricsUrls[name] = `http://127.0.0.1:${metricsPort}/metrics`;
      const ownEnv = serviceEnv(name, process.env, {
        ...natsUserOf(name),
        ...env,
        SLUICE_METRICS_PORT: String(metricsPort),
      });
      ownEnv.NODE_OPTIONS = withMemoryOptions(name, ownEnv);
      const service = new ServiceProcess(
        {
          name,
          entry: join(opts.rootDir, 'services', name, 'dist', 'main.js'),
          env: ownEnv,
          url: `http://127.0.0.1:${ports[name]}`,
          nodeArgs: memoryArgs(name, ownEnv),
        },
        opts.output,
      );
      service.start();
      services.set(name, service);
    }
    await Promise.all([...services.values()].map((s) => s.waitReady()));

    const system: RunningSystem = {
      dataDir: opts.dataDir,
      gatewayUrl: `http://localhost:${gatewayPort}/v1`,
      adminUrl: `http://localhost:${adminPort}`,
      natsUrl,
      databaseUrl,
      metricsUrls,
      adminToken: admin.value,
      adminTokenGenerated: admin.generated,
      wroteEndpoints: ownsEndpoints(opts),
      webhookSecretFile: webhookSecretFromEnv ? null : webhookSecretFile,
      services,
      embedded,
      stop: stopAll,
    };
    // 0600: the database URL carries its password.
    if (system.wroteEndpoints) {
      writePrivateFile(
        join(opts.dataDir, 'endpoints.json'),
        JSON.stringify(
          {
            gatewayUrl: system.gatewayUrl,
            adminUrl: system.adminUrl,
            natsUrl,
            databaseUrl,
            metricsUrls: Object.values(metricsUrls),
          },
          null,
          2,
        ),
      );
    }
    return system;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * endpoints.json describes the system the data folder belongs to: the runner that started its
 * embedded servers, or one running every service. A runner that only adds a service to it (a second
 * gateway on the same folder) leaves the file alone, or the CLI would follow ports that die with it.
 */
function ownsEndpoints(opts: SystemOptions): boolean {
  return !opts.natsUrl || !opts.databaseUrl || (opts.services ?? SERVICE_NAMES).length === SERVICE_NAMES.length;
}
