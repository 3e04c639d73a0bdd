// `npm test`: installs what the tests need when it is missing (node_modules, nats-server, Postgres),
// then runs jest with any extra arguments passed through, prints a one-line summary, and exits
// with jest's code.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDependencies, ensureServers, root } from './setup.mjs';

ensureDependencies();
if (process.env.SLUICE_TEST_INFRA !== 'containers') ensureServers({ postgres: !process.env.SLUICE_TEST_DATABASE_URL });

const resultsDir = mkdtempSync(join(tmpdir(), 'sluice-jest-'));
const results = join(resultsDir, 'results.json');
const jestArgs = [join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--json', `--outputFile=${results}`, ...process.argv.slice(2)];
const jest = spawn(process.execPath, jestArgs, { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => jest.kill(signal));
jest.on('exit', (code, signal) => {
  if (existsSync(results)) {
    const r = JSON.parse(readFileSync(results, 'utf8'));
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  }
  rmSync(resultsDir, { recursive: true, force: true });
  process.exit(code ?? 128 + (osConstants.signals[signal] ?? 0));
});
