// `npm test`: installs what the tests need when it is missing (node_modules, nats-server, Postgres),
// type-checks the whole workspace, checks its formatting and lint (`npm run lint`), then runs jest
// with any extra arguments passed through, prints a one-line summary, and exits with the first
// failure's code.
//
// Tiers: `--tier=unit` runs the pure *.spec.ts files (no build, no Postgres, no NATS, no type-check,
// no lint); `--tier=int` the *.int.spec.ts files and `--tier=e2e` the *.e2e.spec.ts files (both
// type-check and lint first). Any other argument goes to jest, so `npm test -- services/policy` runs
// one folder and `npm test -- path/to/file.spec.ts` one file; a run given file arguments skips the
// type-check and the lint (SLUICE_TYPECHECK=1 forces both, SLUICE_TYPECHECK=0 skips both).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { useDockerEngine } from './docker/engine.mjs';
import { standInsFor } from './docker/stand-in-images.mjs';
import { ensureDependencies, ensureServers, root } from './setup.mjs';

const args = process.argv.slice(2);
const tierArg = args.find((a) => a.startsWith('--tier='));
const tier = tierArg ? tierArg.slice('--tier='.length) : 'all';
const jestPassThrough = args.filter((a) => a !== tierArg);
if (!['all', 'unit', 'int', 'e2e'].includes(tier)) {
  console.error(`sluice: unknown test tier "${tier}" (unit, int, e2e)`);
  process.exit(2);
}

ensureDependencies();
const needsServers = tier !== 'unit';
const needsBrowser = tier === 'all' || tier === 'e2e';
const containers = ['testcontainers', 'containers'].includes(process.env.SLUICE_TEST_INFRA ?? '');
if (needsServers && !containers)
  ensureServers({
    postgres: !process.env.SLUICE_TEST_DATABASE_URL,
    browser: needsBrowser && !process.env.SLUICE_CHROMIUM,
  });

const namesFiles = jestPassThrough.some((a) => !a.startsWith('-'));
const typecheck =
  process.env.SLUICE_TYPECHECK === '1' || (process.env.SLUICE_TYPECHECK !== '0' && tier !== 'unit' && !namesFiles);
if (typecheck) {
  console.log('sluice: type-checking the workspace (tsc --noEmit)…');
  // The services and libraries, then the console (browser code: DOM types, JSX).
  const tsc = ['tsconfig.json', 'services/admin-api/console/tsconfig.json']
    .map((project) =>
      spawnSync(
        process.execPath,
        [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, project), '--noEmit'],
        { cwd: root, stdio: 'inherit' },
      ),
    )
    .find((run) => run.status !== 0) ?? { status: 0 };
  if (tsc.status !== 0) {
    console.error('sluice: the type-check failed; fix the errors above (npm run typecheck)');
    process.exit(tsc.status ?? 1);
  }
  console.log('sluice: checking formatting and lint (biome ci, as npm run lint)…');
  const biome = [
    join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome'),
    'ci',
    '--formatter-enabled=true',
    '--linter-enabled=true',
    '--error-on-warnings',
    '.',
  ];
  const lint = spawnSync(process.execPath, biome, { cwd: root, stdio: 'inherit' });
  if (lint.status !== 0) {
    console.error(
      'sluice: the format or lint check failed; npm run format formats the tree, npm run lint lists what is left',
    );
    process.exit(lint.status ?? 1);
  }
}

// SLUICE_TEST_INFRA=testcontainers: a Docker engine (started here when none runs, stopped at the
// end) and the stand-in images unless SLUICE_POSTGRES_IMAGE and SLUICE_NATS_IMAGE name others.
// Ryuk's image cannot be pulled where no registry can be reached, so it is off by default; the
// engine stopped at the end takes any container a test left with it.
const engine =
  needsServers && containers
    ? await useDockerEngine().catch(failWith('SLUICE_TEST_INFRA=testcontainers needs a Docker engine'))
    : null;
const containerEnv = engine
  ? {
      DOCKER_HOST: engine.host,
      TESTCONTAINERS_RYUK_DISABLED: process.env.TESTCONTAINERS_RYUK_DISABLED ?? 'true',
      TESTCONTAINERS_HOST_OVERRIDE: process.env.TESTCONTAINERS_HOST_OVERRIDE ?? '127.0.0.1',
      ...(await Promise.resolve()
        .then(() => standInsFor(engine.host, ['SLUICE_POSTGRES_IMAGE', 'SLUICE_NATS_IMAGE']))
        .catch(async (err) => {
          await engine.stop();
          failWith('building the stand-in images failed')(err);
        })),
    }
  : {};

function failWith(what) {
  return (err) => {
    console.error(`sluice: ${what}: ${err.message}`);
    process.exit(1);
  };
}

const resultsDir = mkdtempSync(join(tmpdir(), 'sluice-jest-'));
const results = join(resultsDir, 'results.json');
const jestArgs = [
  join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
  '--json',
  `--outputFile=${results}`,
  ...jestPassThrough,
];
// On CI every e2e system's service output is kept in the checkout, for the run that failed.
const e2eLogs =
  process.env.CI && !process.env.SLUICE_E2E_LOG_DIR ? { SLUICE_E2E_LOG_DIR: join(root, '.e2e-logs') } : {};
const jest = spawn(process.execPath, jestArgs, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ...containerEnv, ...e2eLogs, SLUICE_TEST_TIER: tier },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => jest.kill(signal));
jest.on('exit', async (code, signal) => {
  await engine?.stop();
  if (existsSync(results)) {
    const r = JSON.parse(readFileSync(results, 'utf8'));
    console.log(
      `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`,
    );
  }
  rmSync(resultsDir, { recursive: true, force: true });
  process.exit(code ?? 128 + (osConstants.signals[signal] ?? 0));
});
