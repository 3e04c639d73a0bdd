import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { Subjects } from '@sluice/contracts';
import { natsAuthConf, natsHelmValues } from '../src/nats-deploy';
import { NATS_PERMISSIONS, natsPasswordVariable } from '../src/nats-users';
import { SERVICE_NAMES, type ServiceName } from '../src/service-names';

const ROOT = join(__dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** NATS subject matching: `*` is one token, `>` the rest (one token or more). */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
const mayPublish = (service: ServiceName, subject: string) => {
  const { allow, deny = [] } = NATS_PERMISSIONS[service].publish;
  return allow.some((p) => matches(p, subject)) && !deny.some((p) => matches(p, subject));
};
const maySubscribe = (service: ServiceName, subject: string) =>
  NATS_PERMISSIONS[service].subscribe.allow.some((p) => matches(p, subject));
const publishers = (subject: string) => SERVICE_NAMES.filter((s) => mayPublish(s, subject)).sort();
const subscribers = (subject: string) => SERVICE_NAMES.filter((s) => maySubscribe(s, subject)).sort();

describe('each service its own NATS user', () => {
  it('lets only key-registry write events and answer its commands, and only the gateway ask for decrypted credentials', () => {
    expect(publishers(Subjects.event('keys', 'KeyRevoked'))).toEqual(['key-registry']);
    expect(publishers(Subjects.event('providers', 'ProviderAdded'))).toEqual(['key-registry']);
    expect(subscribers(Subjects.rpc.credentials)).toEqual(['key-registry']);
    expect(subscribers(Subjects.rpc.keyRegistry('create-key'))).toEqual(['key-registry']);
    expect(publishers(Subjects.rpc.credentials)).toEqual(['gateway']);
    expect(publishers(Subjects.rpc.keyRegistry('create-key'))).toEqual(['admin-api']);
    expect(publishers(Subjects.rpc.keyRegistry('record-budget-threshold'))).toEqual(['admin-api', 'policy']);
  });

  it("lets only policy answer policy's subjects and ask the gateways for their calls in flight, and only gateways settle and cancel", () => {
    for (const subject of [
      Subjects.rpc.authorize,
      Subjects.rpc.authorizeIn(3),
      Subjects.rpc.checkKey,
      Subjects.rpc.policySettle,
      Subjects.rpc.policyCancel,
      Subjects.rpc.policyKeyState,
    ]) {
      expect([subject, subscribers(subject)]).toEqual([subject, ['policy']]);
    }
    expect(publishers(Subjects.gatewayInFlight)).toEqual(['policy']);
    expect(subscribers(Subjects.gatewayInFlight)).toEqual(['gateway']);
    expect(publishers(Subjects.rpc.policySettle)).toEqual(['gateway']);
    expect(publishers(Subjects.rpc.policyCancel)).toEqual(['gateway']);
    expect(publishers(Subjects.rpc.authorize)).toEqual(['gateway']);
    // Usage: the gateways' calls, and policy charging a reservation that never settled.
    expect(publishers(Subjects.usage)).toEqual(['gateway', 'policy']);
  });

  it('lets only gateways hand leases back and say a leased call started, and only policy revoke leases', () => {
    for (const subject of [Subjects.rpc.policyLeaseReturn, Subjects.rpc.policyLeaseCall]) {
      expect([subject, publishers(subject)]).toEqual([subject, ['gateway']]);
      expect([subject, subscribers(subject)]).toEqual([subject, ['policy']]);
    }
    expect(publishers(Subjects.gatewayLeaseRevoke)).toEqual(['policy']);
    expect(subscribers(Subjects.gatewayLeaseRevoke)).toEqual(['gateway']);
  });

  it("lets each service receive only its own replies, and no one the JetStream API's destructive calls", () => {
    for (const service of SERVICE_NAMES) {
      expect([service, subscribers(`_INBOX.${service}.abc.1`)]).toEqual([service, [service]]);
      expect([service, maySubscribe(service, '_INBOX.abc')]).toEqual([service, false]);
    }
    for (const call of [
      '$JS.API.STREAM.DELETE.SLUICE_EVENTS',
      '$JS.API.STREAM.PURGE.SLUICE_USAGE',
      '$JS.API.STREAM.MSG.DELETE.SLUICE_EVENTS',
      '$JS.API.STREAM.UPDATE.SLUICE_EVENTS',
    ]) {
      expect([call, publishers(call)]).toEqual([call, []]);
    }
    expect(publishers('$JS.API.INFO')).not.toContain('gateway');
  });

  it('gives docker-compose.yml and deploy/ the same users: the files are what scripts/nats-auth.mjs writes', () => {
    expect(read('deploy/nats-auth.conf')).toBe(natsAuthConf());
    expect(read('deploy/nats-values.yaml')).toBe(natsHelmValues());
    expect(read('deploy/nats-server.conf')).toContain('include "nats-auth.conf"');
  });

  it('in docker-compose.yml: the NATS server reads every password, each service gets its own', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<string, { command?: string[]; volumes?: string[]; environment?: Record<string, string> }>;
    };
    const nats = compose.services.nats;
    expect(nats.volumes).toContain('./deploy/nats-auth.conf:/etc/nats/nats-auth.conf:ro');
    expect(nats.command?.join(' ')).toContain('-c /etc/nats/nats-auth.conf');
    for (const service of SERVICE_NAMES) {
      const variable = natsPasswordVariable(service);
      expect(nats.environment?.[variable]).toMatch(new RegExp(`^\\$\\{${variable}:\\?`));
      const env = compose.services[service].environment ?? {};
      expect([service, env.NATS_USER, env.NATS_PASSWORD?.match(/^\$\{(\w+):/)?.[1]]).toEqual([
        service,
        service,
        variable,
      ]);
    }
  });

  it('in deploy/kubernetes: each workload its own user, its password from its own key of sluice-secrets', () => {
    const docs = ['gateway', 'admin-api', 'key-registry', 'metering', 'policy', 'secret.template'].flatMap((f) =>
      parseAllDocuments(read(`deploy/kubernetes/${f}.yaml`)).map((d) => d.toJS() as any),
    );
    const secret = docs.find((d) => d.kind === 'Secret');
    for (const service of SERVICE_NAMES) {
      const workload = docs.find(
        (d) => (d.kind === 'Deployment' || d.kind === 'StatefulSet') && d.metadata.name === service,
      );
      const env = workload.spec.template.spec.containers[0].env as {
        name: string;
        value?: string;
        valueFrom?: { secretKeyRef: { name: string; key: string } };
      }[];
      expect([service, env.find((e) => e.name === 'NATS_USER')?.value]).toEqual([service, service]);
      expect([service, env.find((e) => e.name === 'NATS_PASSWORD')?.valueFrom?.secretKeyRef]).toEqual([
        service,
        { name: 'sluice-secrets', key: natsPasswordVariable(service) },
      ]);
      expect(Object.keys(secret.stringData)).toContain(natsPasswordVariable(service));
    }
  });
});
