// What `npm start`, `npm test` and `npm run bench` need before anything else, with nothing but
// Node: the npm dependencies, the nats-server and Postgres binaries (Debian packages, installed
// with apt-get when we are root; otherwise we say what to install), and a fresh build.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function ensureDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && (!existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs)) return;
  console.log('sluice: installing npm dependencies…');
  run('npm', [existsSync(lock) ? 'ci' : 'install', '--no-audit', '--no-fund']);
}

/**
 * nats-server and Postgres, unless the caller points at existing servers, and Debian's chromium
 * for the console's browser tests (`browser: true`; never a browser downloaded by a test tool).
 */
export function ensureServers({ nats = true, postgres = true, browser = false } = {}) {
  const missing = [];
  if (browser && !findExecutable('chromium', [])) missing.push('chromium');
  if (nats && !findExecutable('nats-server', ['/usr/local/sbin', '/usr/sbin', '/sbin'])) missing.push('nats-server');
  const pgDirs = postgresVersionDirs();
  if (postgres && !(findExecutable('postgres', pgDirs) && findExecutable('initdb', pgDirs))) missing.push('postgresql');
  if (missing.length === 0) return;
  if (!(process.getuid?.() === 0 && findExecutable('apt-get', []))) {
    console.error(
      `sluice: this needs ${missing.join(' and ')}. Install ${missing.length > 1 ? 'them' : 'it'}:\n` +
        `  Debian/Ubuntu: sudo apt-get install -y ${missing.join(' ')}\n` +
        `  macOS:         brew install ${missing.map((m) => (m === 'postgresql' ? 'postgresql@16' : m === 'chromium' ? '--cask chromium' : m)).join(' ')}`,
    );
    process.exit(1);
  }
  console.log(`sluice: installing ${missing.join(', ')} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update'], env);
  run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], env);
}

export async function build() {
  const { build: compile } = await import('./build.mjs');
  await compile({ quiet: true });
}

export function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`sluice: ${command} ${args.join(' ')} failed`);
    process.exit(result.status ?? 1);
  }
}

function findExecutable(name, extraDirs) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  return dirs
    .map((dir) => join(dir, name))
    .find((path) => {
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

function postgresVersionDirs() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return [];
  return readdirSync(base).map((version) => join(base, version, 'bin'));
}

/**
 * A temporary data folder for an embedded system (mkdtemp makes it 0700). As root, startSystem lets
 * the postgres user pass through it (0710, group postgres), so the cluster stays inside and goes
 * with the folder.
 */
export function tempDataDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}
