import { resolve } from 'node:path';
import { redactedUrl } from '@sluice/embedded';
import { SERVICE_NAMES, startSystem, type ServiceName } from './system';
import { DEMO_MODEL, seedDemo } from './seed';
import { formatLine } from './format';

/**
 * `npm start`: the whole system on its embedded default, or, with NATS_URL and DATABASE_URL set,
 * only the services in SLUICE_SERVICES against existing servers. Ctrl-C stops everything.
 */
async function main(): Promise<void> {
  const rootDir = resolve(__dirname, '..', '..', '..');
  const dataDir = resolve(process.env.SLUICE_DATA_DIR ?? '.sluice');
  const services = parseServices(process.env.SLUICE_SERVICES);
  const json = process.env.SLUICE_LOG_FORMAT === 'json';
  const system = await startSystem({
    rootDir,
    dataDir,
    natsUrl: process.env.NATS_URL,
    databaseUrl: process.env.DATABASE_URL,
    services,
    gatewayPort: intEnv('SLUICE_GATEWAY_PORT'),
    adminPort: intEnv('SLUICE_ADMIN_PORT'),
    internalPorts: {
      'key-registry': intEnv('SLUICE_KEY_REGISTRY_PORT'),
      policy: intEnv('SLUICE_POLICY_PORT'),
      metering: intEnv('SLUICE_METERING_PORT'),
    },
    output: (service, line) => process.stdout.write(`${json ? line : formatLine(service, line)}\n`),
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\nsluice: ${signal} received, stopping…\n`);
    await system.stop();
    process.stdout.write(
      `sluice: stopped (${[...system.services.keys(), ...Object.keys(system.embedded)].join(', ')}).\n`,
    );
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const embedded = !process.env.NATS_URL && !process.env.DATABASE_URL;
  const demoKey =
    embedded && services.includes('admin-api')
      ? await seedDemo(system.adminUrl, system.adminToken, resolve(dataDir, 'demo-key.json'))
      : null;
  printBanner(system, dataDir, demoKey);
}

function printBanner(system: Awaited<ReturnType<typeof startSystem>>, dataDir: string, demoKey: string | null): void {
  const lines = [
    '',
    'Sluice is running.',
    `  gateway     ${system.gatewayUrl}`,
    `  console     ${system.adminUrl}/   (sign in with the admin token)`,
    `  admin API   ${system.adminUrl}/admin/v1   (OpenAPI: ${system.adminUrl}/admin/v1/openapi.json)`,
    `  admin token ${system.adminToken}${system.adminTokenGenerated ? `   (generated; kept in ${dataDir}/admin-token)` : ''}`,
    `  webhooks    signed with ${system.webhookSecretFile ? `the secret kept in ${system.webhookSecretFile}` : 'SLUICE_WEBHOOK_SECRET'} (x-sluice-signature)`,
    `  NATS        ${system.natsUrl}`,
    `  Postgres    ${redactedUrl(system.databaseUrl)}${system.embedded.postgres ? `   (password in ${dataDir}/postgres-password)` : ''}`,
    ...Object.entries(system.metricsUrls).map(
      ([service, url], i) => `  ${i === 0 ? 'metrics    ' : '           '} ${url}   (${service})`,
    ),
  ];
  if (demoKey) {
    lines.push(
      `  demo key    ${demoKey}`,
      '',
      'Try it:',
      `  curl ${system.gatewayUrl}/chat/completions \\`,
      `    -H "Authorization: Bearer ${demoKey}" -H "Content-Type: application/json" \\`,
      `    -d '{"model":"${DEMO_MODEL}","messages":[{"role":"user","content":"Hello, Sluice!"}]}'`,
    );
  }
  lines.push(
    '',
    system.wroteEndpoints
      ? `Endpoints are also in ${dataDir}/endpoints.json. Ctrl-C stops everything.`
      : `${dataDir}/endpoints.json still describes the system this runner joined. Ctrl-C stops this runner's services.`,
    '',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

function parseServices(raw: string | undefined): ServiceName[] {
  if (!raw) return [...SERVICE_NAMES];
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(SERVICE_NAMES as readonly string[]).includes(name))
      throw new Error(`SLUICE_SERVICES: unknown service "${name}" (known: ${SERVICE_NAMES.join(', ')})`);
  }
  return names as ServiceName[];
}

function intEnv(name: string): number | undefined {
  const raw = process.env[name];
  return raw ? Number.parseInt(raw, 10) : undefined;
}

main().catch((err) => {
  process.stderr.write(`sluice: ${(err as Error).message}\n`);
  process.exit(1);
});
