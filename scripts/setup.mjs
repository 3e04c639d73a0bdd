// What `npm start` and `npm test` need before anything else, with nothing but Node: the npm
// dependencies, the nats-server and Postgres binaries (Debian packages, installed when we are
// root with apt-get; otherwise we say what to install), and a fresh build.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function ensureDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && (!existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs)) return;
  console.log('sluice: installing npm dependencies…');
  run('npm', [existsSync(lock) ? 'ci' : 'install', '--no-audit', '--no-fund']);
}

function onPath(binary) {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

function postgresInstalled() {
  if (onPath('postgres') && onPath('initdb')) return true;
  const base = '/usr/lib/postgresql';
  return existsSync(base) && readdirSync(base).some((v) => existsSync(join(base, v, 'bin', 'postgres')));
}

/** nats-server and Postgres, unless the caller points at existing servers. */
export function ensureServers({ nats = true, postgres = true } = {}) {
  const missing = [];
  if (nats && !onPath('nats-server')) missing.push('nats-server');
  if (postgres && !postgresInstalled()) missing.push('postgresql');
  if (missing.length === 0) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !onPath('apt-get')) {
    console.error(`sluice: please install ${missing.join(' and ')} (Debian/Ubuntu: sudo apt-get install -y ${missing.join(' ')}; macOS: brew install ${missing.map((m) => (m === 'postgresql' ? 'postgresql@16' : m)).join(' ')})`);
    process.exit(1);
  }
  console.log(`sluice: installing ${missing.join(', ')} with apt-get…`);
  run('apt-get', ['update', '-qq'], { DEBIAN_FRONTEND: 'noninteractive' });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { DEBIAN_FRONTEND: 'noninteractive' });
}

export async function build() {
  const { build: compile } = await import('./build.mjs');
  await compile({ quiet: true });
}

function run(cmd, args, env = {}) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
}
