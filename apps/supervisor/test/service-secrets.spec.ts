import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { SECRET_VARIABLES, SERVICE_SECRETS, serviceEnv } from '../src/service-env';
import { SERVICE_NAMES } from '../src/system';

const ROOT = join(__dirname, '..', '..', '..');
const secretsIn = (names: string[]) =>
  names.filter((name) => (SECRET_VARIABLES as readonly string[]).includes(name)).sort();
const allowed = (service: string) => [...SERVICE_SECRETS[service as keyof typeof SERVICE_SECRETS]].sort();

describe('each service gets only the secrets it reads', () => {
  it('in the local runner: from the settings and from the shell alike, and nothing else of the shell', () => {
    const shell = {
      PATH: '/bin',
      HOME: '/root',
      AWS_SECRET_ACCESS_KEY: 'aws',
      GITHUB_TOKEN: 'gh',
      PGPASSWORD: 'pg',
      SLUICE_BUDGET_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X',
      SLUICE_TEST_DATABASE_URL: 'postgres://su@h/postgres',
      LOG_LEVEL: 'debug',
    };
    const settings = {
      NATS_URL: 'nats://127.0.0.1:4222',
      DATABASE_URL: 'postgres://h/sluice',
      SLUICE_ADMIN_TOKEN: 't',
      SLUICE_MASTER_KEY: 'm',
      SLUICE_WEBHOOK_SECRET: 'w',
      SLUICE_DATA_DIR: '/data',
    };
    const gateway = serviceEnv('gateway', shell, settings);
    expect(gateway).toEqual({
      PATH: '/bin',
      HOME: '/root',
      LOG_LEVEL: 'debug',
      NATS_URL: 'nats://127.0.0.1:4222',
      SLUICE_DATA_DIR: '/data',
    });
    for (const service of SERVICE_NAMES)
      expect([service, secretsIn(Object.keys(serviceEnv(service, shell, settings)))]).toEqual([
        service,
        allowed(service).filter((s) => s !== 'SLUICE_MASTER_KEYS'),
      ]);
    expect(serviceEnv('policy', shell, settings).PGPASSWORD).toBeUndefined();
  });

  it('in docker-compose.yml', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    for (const service of SERVICE_NAMES) {
      const set = secretsIn(Object.keys(compose.services[service].environment ?? {}));
      expect([service, set.filter((name) => !allowed(service).includes(name))]).toEqual([service, []]);
    }
    expect(secretsIn(Object.keys(compose.services.gateway.environment ?? {}))).toEqual([]);
  });

  it('in deploy/kubernetes', () => {
    const dir = join(ROOT, 'deploy', 'kubernetes');
    type Workload = {
      kind?: string;
      metadata?: { name?: string };
      spec?: { template?: { spec: { containers: { env?: { name: string }[] }[] } } };
    };
    const workloads = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Workload))
      .filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet');
    expect(workloads.map((w) => w.metadata!.name).sort()).toEqual([...SERVICE_NAMES].sort());
    for (const w of workloads) {
      const set = secretsIn(w.spec!.template!.spec.containers.flatMap((c) => (c.env ?? []).map((e) => e.name)));
      expect([w.metadata!.name, set.filter((name) => !allowed(w.metadata!.name!).includes(name))]).toEqual([
        w.metadata!.name,
        [],
      ]);
    }
  });
});
