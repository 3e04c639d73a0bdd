import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Jest loads global hooks without moduleNameMapper, so `@sluice/embedded` would resolve to a
// possibly missing or stale dist/; the library's entry by path works here and under tsc.
import { startPostgres } from '../../../embedded/src/index';
import { containerImages, type InfraMode } from '../infra-mode';

export interface TestPostgres {
  /** Superuser URL of the server's `postgres` database. */
  readonly url: string;
  stop(): Promise<void>;
}

// Every test file may open a pool or two per service it starts.
const MAX_CONNECTIONS = 300;

export function startTestPostgres(mode: InfraMode): Promise<TestPostgres> {
  return mode === 'containers' ? startContainerPostgres() : startLocalPostgres();
}

async function startLocalPostgres(): Promise<TestPostgres> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-test-pg-'));
  // mkdtemp makes a 0700 folder; as root, Postgres runs as the postgres user and must reach it.
  if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
  const remove = (dirs: string[]) => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const postgres = await startPostgres({ dataDir, fsync: false, settings: { max_connections: MAX_CONNECTIONS } });
    return {
      url: postgres.url,
      async stop() {
        await postgres.stop();
        remove([postgres.clusterDir, dataDir]);
      },
    };
  } catch (err) {
    remove([dataDir]);
    throw err;
  }
}

async function startContainerPostgres(): Promise<TestPostgres> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer(containerImages.postgres())
    .withUsername('postgres')
    .withPassword('postgres')
    .withDatabase('postgres')
    .withCommand([
      'postgres',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      `max_connections=${MAX_CONNECTIONS}`,
    ])
    .start();
  return {
    url: container.getConnectionUri(),
    async stop() {
      await container.stop();
    },
  };
}
