import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

export type InfraMode = 'local' | 'containers';

const DETECTION_TIMEOUT_MS = 3000;

/**
 * `SLUICE_TEST_INFRA=local|testcontainers` forces a mode (`containers` is the same as
 * `testcontainers`); otherwise containers when a Docker engine answers, else nats-server and
 * Postgres binaries started as local processes.
 */
export async function resolveInfraMode(): Promise<InfraMode> {
  const forced = process.env.SLUICE_TEST_INFRA;
  if (forced === 'local' || forced === 'containers') return forced;
  if (forced === 'testcontainers') return 'containers';
  if (forced) throw new Error(`SLUICE_TEST_INFRA must be "local" or "testcontainers", not "${forced}"`);
  // Importing testcontainers and probing costs time; skip both when no engine can be there.
  if (!dockerMightBeThere()) return 'local';
  return (await dockerAnswers()) ? 'containers' : 'local';
}

function dockerMightBeThere(): boolean {
  if (process.env.DOCKER_HOST || process.env.TESTCONTAINERS_HOST_OVERRIDE) return true;
  const home = homedir();
  const candidates = [
    '/var/run/docker.sock',
    join(home, '.testcontainers.properties'),
    join(home, '.docker', 'run', 'docker.sock'),
    join(home, '.docker', 'desktop', 'docker.sock'),
    join('/run', 'user', String(userInfo().uid), 'docker.sock'),
  ];
  if (process.env.XDG_RUNTIME_DIR) candidates.push(join(process.env.XDG_RUNTIME_DIR, 'docker.sock'));
  return candidates.some((path) => existsSync(path));
}

async function dockerAnswers(): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), DETECTION_TIMEOUT_MS);
    timer.unref();
  });
  const probe = import('testcontainers')
    .then(({ getContainerRuntimeClient }) => getContainerRuntimeClient())
    .then(() => true)
    .catch(() => false);
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The images the containers mode runs: the public ones, or those SLUICE_POSTGRES_IMAGE and
 * SLUICE_NATS_IMAGE name (`npm test` points them at the stand-ins it builds where no registry
 * can be reached: scripts/docker).
 */
export const containerImages = {
  postgres: () => process.env.SLUICE_POSTGRES_IMAGE || 'postgres:16-alpine',
  nats: () => process.env.SLUICE_NATS_IMAGE || 'nats:2.10-alpine',
};
