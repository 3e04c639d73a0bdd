import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

// deploy/kubernetes cannot be applied here (no cluster): these checks catch what `kubectl apply`
// or a running pod would reveal first.
const ROOT = join(__dirname, '..');
const DIR = join(ROOT, 'deploy', 'kubernetes');
const SECRET_TEMPLATE = 'secret.template.yaml';
const SECRET_NAMES = [
  'SLUICE_ADMIN_TOKEN',
  'SLUICE_MASTER_KEY',
  'SLUICE_MASTER_KEYS',
  'SLUICE_WEBHOOK_SECRET',
  'SLUICE_BUDGET_WEBHOOK_URL',
  'DATABASE_URL',
];
const ALWAYS_ALLOWED = ['NATS_URL', 'DATABASE_URL', 'HOSTNAME', 'NODE_OPTIONS'];

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: { runAsNonRoot?: boolean; readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean };
  volumes?: { name: string; emptyDir?: object }[];
}
interface Manifest {
  file: string;
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  resources?: string[];
  spec?: {
    replicas?: number;
    serviceName?: string;
    podManagementPolicy?: string;
    clusterIP?: string;
    selector?: Record<string, string> & { matchLabels?: Record<string, string> };
    ports?: { port: number; targetPort: string | number }[];
    template?: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

function load(): Manifest[] {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return { ...(doc.toJS() as object), file } as Manifest;
    }),
  );
}

const manifests = load();
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const workloads = manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet');
const containers = workloads.flatMap((w) => w.spec!.template!.spec.containers.map((c) => ({ w, c })));
const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name);

function documentedVariables(): Set<string> {
  const configuration = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const section = configuration.slice(configuration.indexOf('## Environment variables'));
  const table = section.slice(0, section.indexOf('\n## ', 1));
  const firstCells = table
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => l.split('|')[1]);
  return new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1])));
}

/** The port a service listens on, from its source: `envInt('SLUICE_…_PORT', default)`. */
function listenPort(service: string, c: Container): number {
  const sources = ['main.ts', 'config.ts'].map((f) => join(ROOT, 'services', service, 'src', f)).filter(existsSync);
  const found = sources.map((f) => /envInt\('(SLUICE_\w+_PORT)', (\d+)\)/.exec(readFileSync(f, 'utf8'))).find(Boolean);
  if (!found) throw new Error(`no port found for ${service}`);
  return Number(envOf(c, found[1])?.value ?? found[2]);
}

function probePort(c: Container, probe: Probe | undefined): number | undefined {
  const port = probe?.httpGet?.port;
  return typeof port === 'number' ? port : c.ports?.find((p) => p.name === port)?.containerPort;
}

describe('deploy/kubernetes manifests', () => {
  it('parse as YAML, and every document names its apiVersion, kind and metadata.name', () => {
    expect(manifests.length).toBeGreaterThan(10);
    for (const m of manifests) {
      expect({
        file: m.file,
        apiVersion: typeof m.apiVersion,
        kind: typeof m.kind,
        name: typeof m.metadata?.name,
      }).toEqual({
        file: m.file,
        apiVersion: 'string',
        kind: 'string',
        name: m.kind === 'Kustomization' ? 'undefined' : 'string',
      });
    }
  });

  it('kustomization.yaml lists every manifest but the secret template, and only files that exist', () => {
    const [kustomization] = ofKind('Kustomization');
    const files = [...new Set(manifests.map((m) => m.file))].filter(
      (f) => f !== 'kustomization.yaml' && f !== SECRET_TEMPLATE,
    );
    expect([...kustomization.resources!].sort()).toEqual(files.sort());
  });

  it('runs one Deployment or StatefulSet per service, each with /health liveness and /ready readiness on the port it listens on', () => {
    expect(workloads.map((w) => w.metadata!.name).sort()).toEqual([
      'admin-api',
      'gateway',
      'key-registry',
      'metering',
      'policy',
    ]);
    for (const { w, c } of containers) {
      const port = listenPort(w.metadata!.name!, c);
      expect({
        container: c.name,
        liveness: c.livenessProbe?.httpGet?.path,
        readiness: c.readinessProbe?.httpGet?.path,
      }).toEqual({
        container: c.name,
        liveness: '/health',
        readiness: '/ready',
      });
      expect([c.name, probePort(c, c.livenessProbe), probePort(c, c.readinessProbe)]).toEqual([c.name, port, port]);
    }
  });

  it('runs every container as non-root on a read-only root filesystem, with /tmp and the gateway spool (a folder of its own inside a volume) on volumes', () => {
    for (const { w, c } of containers) {
      const pod = w.spec!.template!.spec;
      const mounted = (path: string) =>
        c.volumeMounts?.some((v) => v.mountPath === path && pod.volumes?.some((vol) => vol.name === v.name));
      expect([c.name, c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot]).toEqual([c.name, true]);
      expect([c.name, c.securityContext?.readOnlyRootFilesystem, c.securityContext?.allowPrivilegeEscalation]).toEqual([
        c.name,
        true,
        false,
      ]);
      expect([c.name, mounted('/tmp')]).toEqual([c.name, true]);
    }
    const gateway = containers.find(({ w }) => w.metadata!.name === 'gateway')!.c;
    // Inside a volume, not its mount point: the gateway creates the folder 0700 itself, and refuses a
    // spool other users may write to (an emptyDir's own directory is world-writable).
    const spool = envOf(gateway, 'SLUICE_GATEWAY_SPOOL_DIR')?.value ?? '';
    expect(gateway.volumeMounts?.filter((v) => spool.startsWith(`${v.mountPath}/`)).map((v) => v.name)).toEqual([
      'usage-spool',
    ]);
  });

  it('runs policy as a StatefulSet whose replicas equal SLUICE_POLICY_PARTITIONS, each pod taking its partition from its ordinal', () => {
    const [policy] = ofKind('StatefulSet').filter((m) => m.metadata!.name === 'policy');
    const c = policy.spec!.template!.spec.containers[0];
    expect(Number(envOf(c, 'SLUICE_POLICY_PARTITIONS')?.value)).toBe(policy.spec!.replicas);
    expect(envOf(c, 'SLUICE_POLICY_PARTITION')).toBeUndefined();
    expect(policy.spec!.podManagementPolicy).toBe('Parallel');
    const headless = ofKind('Service').find((s) => s.metadata!.name === policy.spec!.serviceName);
    expect(headless?.spec?.clusterIP).toBe('None');
  });

  it('sets only environment variables the configuration table (docs/configuration.md) documents', () => {
    const documented = documentedVariables();
    const set = [
      ...containers.flatMap(({ c }) => (c.env ?? []).map((e) => e.name)),
      ...manifests.flatMap((m) =>
        Object.keys({ ...m.data, ...m.stringData }).filter(() => m.kind === 'ConfigMap' || m.kind === 'Secret'),
      ),
    ];
    const undocumented = set.filter((name) => !documented.has(name) && !ALWAYS_ALLOWED.includes(name));
    expect(documented.has('SLUICE_GATEWAY_PORT')).toBe(true);
    expect(undocumented).toEqual([]);
  });

  it('takes secrets only from keys of the sluice-secrets template, never from a literal or the ConfigMap', () => {
    const template = manifests.find((m) => m.file === SECRET_TEMPLATE && m.kind === 'Secret')!;
    const keys = Object.keys(template.stringData ?? {});
    for (const { c } of containers) {
      for (const e of (c.env ?? []).filter((v) => SECRET_NAMES.includes(v.name))) {
        expect({ name: e.name, value: e.value, ref: e.valueFrom?.secretKeyRef }).toEqual({
          name: e.name,
          value: undefined,
          ref: { name: template.metadata!.name, key: e.name },
        });
        expect(keys).toContain(e.name);
      }
      expect(c.envFrom?.some((f) => f.secretRef)).toBeFalsy();
    }
    for (const cm of ofKind('ConfigMap'))
      expect(Object.keys(cm.data ?? {}).filter((k) => SECRET_NAMES.includes(k))).toEqual([]);
  });

  it('routes every Service to a workload port', () => {
    for (const s of ofKind('Service')) {
      const target = workloads.find((w) =>
        Object.entries(s.spec!.selector!).every(([k, v]) => w.spec!.template!.metadata.labels[k] === v),
      );
      const ports = target?.spec?.template?.spec.containers.flatMap((c) => c.ports ?? []) ?? [];
      for (const p of s.spec!.ports!) {
        expect([
          s.metadata!.name,
          ports.some((cp) => cp.name === p.targetPort || cp.containerPort === p.targetPort),
        ]).toEqual([s.metadata!.name, true]);
      }
    }
  });
});
