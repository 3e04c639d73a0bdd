// `npm test`: installs what the tests need when it is missing (node_modules, nats-server, Postgres),
// then runs jest with any extra arguments passed through, and exits with jest's code.
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { ensureDependencies, ensureServers, root } from './setup.mjs';

ensureDependencies();
if (process.env.SLUICE_TEST_INFRA !== 'containers') ensureServers({ postgres: !process.env.SLUICE_TEST_DATABASE_URL });

const jest = spawn(process.execPath, [join(root, 'node_modules', 'jest', 'bin', 'jest.js'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => jest.kill(signal));
jest.on('exit', (code, signal) => process.exit(code ?? 128 + (osConstants.signals[signal] ?? 0)));
