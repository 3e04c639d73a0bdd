// A Docker engine for the container tests (`npm run test:compose`, SLUICE_TEST_INFRA=testcontainers):
// the one DOCKER_HOST or /var/run/docker.sock points at when it answers; else, as root, a dockerd
// of our own (Debian's docker.io, installed with apt-get when missing) on a socket of its own, with
// its image cache kept in /var/lib/sluice-docker between runs. It binds a port published without
// an address to 127.0.0.1, and is stopped again by whoever started it.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const OWN = {
  dataRoot: '/var/lib/sluice-docker',
  runDir: '/run/sluice-docker',
  socket: '/run/sluice-docker/docker.sock',
};
const SYSTEM_SOCKET = '/var/run/docker.sock';
const PACKAGES = {
  docker: 'docker.io',
  dockerd: 'docker.io',
  'docker-compose': 'docker-compose',
  debootstrap: 'debootstrap',
};

export class EngineUnavailable extends Error {}

/**
 * The engine to use, as `{ host, started, stop() }`: `host` is the DOCKER_HOST value, `started`
 * says whether this process started it (then `stop()` stops it; otherwise it does nothing).
 * Throws EngineUnavailable with the reason when there is none and none can be started.
 */
export async function useDockerEngine({ log = console.log } = {}) {
  ensureTools(log);
  const candidates = [process.env.DOCKER_HOST, `unix://${SYSTEM_SOCKET}`, `unix://${OWN.socket}`].filter(Boolean);
  for (const host of candidates) {
    if (answers(host)) return { host, started: false, stop: async () => {} };
  }
  if (process.env.DOCKER_HOST) throw new EngineUnavailable(`DOCKER_HOST=${process.env.DOCKER_HOST} does not answer`);
  if (process.getuid?.() !== 0) throw new EngineUnavailable('no Docker engine answers, and starting one needs root');
  return startOwnEngine(log);
}

/** `docker …` against the given engine; throws with its output when it fails. */
export function docker(host, args, opts = {}) {
  const result = spawnSync('docker', args, {
    env: { ...process.env, DOCKER_HOST: host },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...opts,
  });
  if (result.status !== 0 && !opts.allowFailure) {
    throw new Error(
      `docker ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout ?? ''}${result.stderr ?? ''}`,
    );
  }
  return result;
}

function answers(host) {
  return (
    spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], {
      env: { ...process.env, DOCKER_HOST: host },
      stdio: 'ignore',
      timeout: 15_000,
    }).status === 0
  );
}

function ensureTools(log) {
  const missing = [
    ...new Set(
      Object.entries(PACKAGES)
        .filter(([tool]) => !onPath(tool))
        .map(([, pkg]) => pkg),
    ),
  ];
  if (missing.length === 0) return;
  if (!(process.getuid?.() === 0 && onPath('apt-get'))) {
    throw new EngineUnavailable(
      `this needs ${missing.join(', ')} (Debian: sudo apt-get install -y ${missing.join(' ')})`,
    );
  }
  log(`sluice: installing ${missing.join(', ')} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...missing]]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.status !== 0) throw new EngineUnavailable(`apt-get ${args.join(' ')} failed`);
  }
}

function onPath(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`], { stdio: 'ignore' }).status === 0;
}

async function startOwnEngine(log) {
  mkdirSync(OWN.runDir, { recursive: true });
  mkdirSync(OWN.dataRoot, { recursive: true });
  const logFile = `${OWN.runDir}/dockerd.log`;
  const out = openSync(logFile, 'a');
  const args = [
    `--data-root=${OWN.dataRoot}`,
    `--exec-root=${OWN.runDir}/exec`,
    `--pidfile=${OWN.runDir}/dockerd.pid`,
    `--host=unix://${OWN.socket}`,
    // A port published without an address (testcontainers') is bound on loopback only: test traffic
    // stays on 127.0.0.1. (Compose 1.29 sends 0.0.0.0 for a bare "8080:8080"; our compose file names
    // the address itself.)
    '--ip=127.0.0.1',
  ];
  log('sluice: starting a Docker engine of our own (dockerd, data in /var/lib/sluice-docker)…');
  const daemon = spawn('dockerd', args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  daemon.unref();
  const host = `unix://${OWN.socket}`;
  const deadline = Date.now() + 60_000;
  while (!answers(host)) {
    if (daemon.exitCode !== null || Date.now() > deadline) {
      daemon.kill('SIGKILL');
      throw new EngineUnavailable(`dockerd did not start (its log: ${logFile}):\n${tail(logFile)}`);
    }
    await sleep(250);
  }
  // Only our own runs use this engine: whatever a killed run left there goes now, before it restarts.
  removeEverything(host);
  return {
    host,
    started: true,
    async stop() {
      try {
        removeEverything(host);
      } catch (err) {
        log(`sluice: could not empty the Docker engine before stopping it: ${err.message}`);
      }
      daemon.kill('SIGTERM');
      for (let i = 0; i < 120 && daemon.exitCode === null && daemon.signalCode === null; i++) await sleep(250);
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    },
  };
}

/** Every container, network and volume of our own engine (images stay: they are the cache). */
function removeEverything(host) {
  const ids = docker(host, ['ps', '-aq']).stdout.split('\n').filter(Boolean);
  if (ids.length) docker(host, ['rm', '-f', '-v', ...ids]);
  docker(host, ['network', 'prune', '-f']);
  docker(host, ['volume', 'prune', '-f']);
}

function tail(file) {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-20).join('\n') : '';
}
