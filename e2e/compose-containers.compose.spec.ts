import { execFileSync, spawnSync } from 'node:child_process';
import { SECRET_VARIABLES, SERVICE_NAMES, SERVICE_SECRETS, type ServiceName } from '@sluice/supervisor';
import { HELD_SECRETS } from './support/held-secrets';

/**
 * The compose stack `npm run test:compose` started (SLUICE_E2E_COMPOSE_PROJECT on DOCKER_HOST), seen
 * from the Docker engine: what each container holds and may do.
 */
const PROJECT = process.env.SLUICE_E2E_COMPOSE_PROJECT;
if (!PROJECT) throw new Error('SLUICE_E2E_COMPOSE_PROJECT is not set: run this file through npm run test:compose');

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' });

interface Inspected {
  Config: { Env: string[]; User: string };
  HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[] | null };
}

describe('the compose stack, container by container', () => {
  const containers = new Map<ServiceName, { id: string; inspect: Inspected }>();

  beforeAll(() => {
    for (const line of docker(
      'ps',
      '--filter',
      `label=com.docker.compose.project=${PROJECT}`,
      '--format',
      '{{.Label "com.docker.compose.service"}} {{.ID}}',
    )
      .trim()
      .split('\n')) {
      const [service, id] = line.split(' ');
      if ((SERVICE_NAMES as readonly string[]).includes(service))
        containers.set(service as ServiceName, { id, inspect: JSON.parse(docker('inspect', id))[0] });
    }
    expect([...containers.keys()].sort()).toEqual([...SERVICE_NAMES].sort());
  });

  it('gives each service only the secrets it reads, and the gateway none of any other container', () => {
    const env = (service: ServiceName) => containers.get(service)!.inspect.Config.Env;
    const held = Object.fromEntries(
      SERVICE_NAMES.map((service) => [
        service,
        env(service)
          .map((entry) => entry.split('=')[0])
          .filter((name) => (SECRET_VARIABLES as readonly string[]).includes(name))
          .sort(),
      ]),
    );
    expect(held).toEqual(HELD_SECRETS);
    for (const [service, names] of Object.entries(held))
      expect(SERVICE_SECRETS[service as ServiceName]).toEqual(expect.arrayContaining(names));
    // By value too: no other container's secret reaches the gateway under another name.
    const secretValues = SERVICE_NAMES.flatMap((service) =>
      env(service)
        .filter((entry) => (SECRET_VARIABLES as readonly string[]).includes(entry.split('=')[0]))
        .map((entry) => entry.slice(entry.indexOf('=') + 1)),
    );
    expect(secretValues.length).toBeGreaterThan(0);
    expect(
      env('gateway').filter(
        (entry) => secretValues.some((secret) => entry.includes(secret)) || /postgres(ql)?:\/\//.test(entry),
      ),
    ).toEqual([]);
  });

  it('runs every service as uid 1000, without capabilities, on a read-only root filesystem', () => {
    for (const [service, { id, inspect }] of containers) {
      expect([service, inspect.HostConfig.ReadonlyRootfs, inspect.HostConfig.CapDrop]).toEqual([
        service,
        true,
        ['ALL'],
      ]);
      expect([service, docker('exec', id, 'id', '-u').trim()]).toEqual([service, '1000']);
      const write = spawnSync('docker', ['exec', id, 'touch', '/app/written-by-a-test'], { encoding: 'utf8' });
      expect([service, write.status, write.stderr]).toEqual([
        service,
        1,
        expect.stringContaining('Read-only file system'),
      ]);
    }
  });

  it('keeps the gateway off the database network: it cannot even resolve Postgres', () => {
    const probe = "require('node:dns').lookup('postgres', (err) => { console.log(err ? err.code : 'resolved'); })";
    expect(docker('exec', containers.get('gateway')!.id, 'node', '-e', probe).trim()).toBe('ENOTFOUND');
    expect(docker('exec', containers.get('metering')!.id, 'node', '-e', probe).trim()).toBe('resolved');
  });
});
