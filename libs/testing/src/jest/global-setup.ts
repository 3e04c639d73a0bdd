import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveInfraMode } from '../infra-mode';
import { startTestPostgres } from './test-postgres';

export const INFRA_HANDLE = '__sluiceTestInfra';

/**
 * One Postgres for the whole run (each test file makes its own databases on it) and one build,
 * so e2e tests can spawn the services' dist/. NATS is per test file: see startTestNats.
 */
export default async function globalSetup(globalConfig: { rootDir: string }): Promise<void> {
  const mode = await resolveInfraMode();
  // Workers inherit the environment, so they skip the detection and use the same infrastructure.
  process.env.SLUICE_TEST_INFRA = mode;
  const external = process.env.SLUICE_TEST_DATABASE_URL;
  const [postgres, build] = await Promise.allSettled([
    external ? Promise.resolve(undefined) : startTestPostgres(mode),
    buildWorkspace(globalConfig.rootDir),
  ]);
  if (postgres.status === 'rejected' || build.status === 'rejected') {
    if (postgres.status === 'fulfilled') await postgres.value?.stop();
    throw postgres.status === 'rejected' ? postgres.reason : (build as PromiseRejectedResult).reason;
  }
  if (postgres.value) process.env.SLUICE_TEST_DATABASE_URL = postgres.value.url;
  (globalThis as Record<string, unknown>)[INFRA_HANDLE] = postgres.value;
}

async function buildWorkspace(rootDir: string): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, [join(rootDir, 'scripts', 'build.mjs')], { cwd: rootDir });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`node scripts/build.mjs failed:\n${stdout}${stderr}`);
  }
}
