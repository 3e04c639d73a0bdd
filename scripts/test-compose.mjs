// `npm run test:compose`: docker-compose.yml for real. Finds or starts a Docker engine
// (scripts/docker/engine.mjs), builds the stand-in images where no registry can be reached (cached
// between runs; SLUICE_NODE_IMAGE, SLUICE_NATS_IMAGE and SLUICE_POSTGRES_IMAGE set all three to
// use others, e.g. the public ones), builds the Sluice image with the project's Dockerfile, brings
// the stack up with docker-compose.test.yml (a mock upstream) on ports published on 127.0.0.1,
// waits for every health check, runs the black-box e2e suite and the container checks against it
// (jest tier `compose`), and takes everything down again — containers, networks, volumes — however
// the run ends. Prints the time of each phase. Exits 75 when no Docker engine can be had.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { docker, EngineUnavailable, useDockerEngine } from './docker/engine.mjs';
import { standInsFor } from './docker/stand-in-images.mjs';
import { ensureDependencies, root } from './setup.mjs';

/** The services of the stack that depend on nothing (docker-compose.yml, docker-compose.test.yml). */
const INFRASTRUCTURE = ['nats', 'postgres', 'mock-upstream'];

const NO_ENGINE = 75;
const FILES = ['-f', join(root, 'docker-compose.yml'), '-f', join(root, 'docker-compose.test.yml')];
const phases = [];
const timed = async (name, fn) => {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    phases.push(`${name} ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
};

let engine;
let stack;
let tearingDown;
const teardown = () =>
  (tearingDown ??= (async () => {
    if (stack) await timed('teardown', () => stack.down());
    await engine?.stop();
  })());
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.error(`\nsluice: ${signal}, taking the compose stack down…`);
    void teardown().finally(() => process.exit(130));
  });
}

const started = Date.now();
let code = 1;
try {
  ensureDependencies();
  engine = await timed('engine', () => useDockerEngine());
  const images = await timed('stand-in images', () =>
    standInsFor(engine.host, ['SLUICE_NODE_IMAGE', 'SLUICE_NATS_IMAGE', 'SLUICE_POSTGRES_IMAGE']),
  );
  const [gatewayPort, adminPort, invoicePort] = await Promise.all([freePort(), freePort(), freePort()]);
  const project = `sluice-test-${process.pid}`;
  const env = {
    ...process.env,
    ...images,
    DOCKER_HOST: engine.host,
    COMPOSE_PROJECT_NAME: project,
    SLUICE_ADMIN_TOKEN: `sluice-admin-${randomBytes(24).toString('base64url')}`,
    SLUICE_MASTER_KEY: randomBytes(32).toString('base64'),
    SLUICE_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64url')}`,
    SLUICE_POSTGRES_PASSWORD: randomBytes(24).toString('hex'),
    ...Object.fromEntries(
      ['GATEWAY', 'POLICY', 'KEY_REGISTRY', 'METERING', 'ADMIN_API'].map((s) => [
        `SLUICE_NATS_${s}_PASSWORD`,
        // Starting with a letter: nats-server reads `$VAR` as a config value, and a bare hex string
        // such as `0e52…` is a number to it, which it cannot parse (NATS restarted: the stack was unhealthy).
        `nats-${randomBytes(24).toString('hex')}`,
      ]),
    ),
    SLUICE_PUBLISH_HOST: '127.0.0.1',
    SLUICE_GATEWAY_PORT: String(gatewayPort),
    SLUICE_ADMIN_PORT: String(adminPort),
    SLUICE_TEST_INVOICE_PORT: String(invoicePort),
    SLUICE_UPSTREAM_ALLOW: 'mock-upstream',
  };
  const compose = composeCommand(env);
  await timed('sluice image', () => compose(['build', 'key-registry'], { quiet: true }));
  stack = { down: () => takeDown(compose, env.DOCKER_HOST, project) };
  await timed('stack up', async () => {
    // What the services depend on first, up and healthy by our own wait, so a failure names the
    // container and its log rather than Compose 1.29's "Container … is unhealthy" for a dependency
    // (two clean-clone CI runs: NATS restarting on a generated password it read as a number).
    await compose(['up', '-d', '--no-build', ...INFRASTRUCTURE]);
    await waitHealthy(compose, env.DOCKER_HOST, project, INFRASTRUCTURE);
    if ((await compose(['up', '-d', '--no-build'], { allowFailure: true })) !== 0) {
      console.warn(
        `sluice: compose up failed; the containers as they stood:\n${containerStates(env.DOCKER_HOST, project)}`,
      );
      await compose(['up', '-d', '--no-build']);
    }
    await waitHealthy(compose, env.DOCKER_HOST, project);
  });
  const jest = await timed('tests', () =>
    run(
      process.execPath,
      [join(root, 'node_modules', 'jest', 'bin', 'jest.js')],
      {
        ...env,
        SLUICE_TEST_TIER: 'compose',
        SLUICE_E2E_GATEWAY_URL: `http://127.0.0.1:${gatewayPort}/v1`,
        SLUICE_E2E_ADMIN_URL: `http://127.0.0.1:${adminPort}`,
        SLUICE_E2E_ADMIN_TOKEN: env.SLUICE_ADMIN_TOKEN,
        SLUICE_E2E_UPSTREAM_URL: 'http://mock-upstream:8000/v1',
        SLUICE_E2E_INVOICE_URL: `http://127.0.0.1:${invoicePort}/invoice`,
        SLUICE_E2E_COMPOSE_PROJECT: project,
      },
      { allowFailure: true },
    ),
  );
  if (jest !== 0) await compose(['logs', '--no-color', '--tail=40'], { allowFailure: true });
  code = jest;
} catch (err) {
  if (err instanceof EngineUnavailable) {
    console.error(`sluice: test:compose needs a Docker engine and none can be had here: ${err.message}`);
    code = NO_ENGINE;
  } else {
    console.error(`sluice: test:compose failed: ${err.message}`);
  }
} finally {
  await teardown();
}
console.log(
  `test:compose ${code === 0 ? 'passed' : code === NO_ENGINE ? 'skipped (no Docker engine)' : 'FAILED'}: ${[...phases, `total ${((Date.now() - started) / 1000).toFixed(0)} s`].join(', ')}`,
);
process.exit(code);

/**
 * Runs Compose v2 (`docker compose`) when the CLI has it, else Compose 1.29 (`docker-compose`), on
 * both compose files: `compose(args, opts)` resolves to the exit code (see run).
 */
function composeCommand(env) {
  const [command, ...prefix] =
    spawnSync('docker', ['compose', 'version'], { env, stdio: 'ignore' }).status === 0
      ? ['docker', 'compose']
      : ['docker-compose'];
  return (args, opts) => run(command, [...prefix, ...FILES, ...args], env, opts);
}

/** Each container of the project: its name, state and last health check output. */
function containerStates(host, project) {
  const ids = docker(host, ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])
    .stdout.split('\n')
    .filter(Boolean);
  if (ids.length === 0) return '(none)';
  return docker(host, [
    'inspect',
    '--format',
    '{{.Name}} {{slice .Id 0 12}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}} {{json .State.Health.Log}}{{end}}',
    ...ids,
  ]).stdout.trim();
}

/** Until every container of `services` (default: the whole stack) runs and is healthy. */
async function waitHealthy(compose, host, project, only) {
  const services = only ?? (await compose(['config', '--services'], { capture: true })).trim().split('\n');
  const deadline = Date.now() + 180_000;
  for (;;) {
    const ids = docker(host, ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])
      .stdout.split('\n')
      .filter(Boolean);
    const states =
      ids.length === 0
        ? []
        : docker(host, [
            'inspect',
            '--format',
            '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}',
            ...ids,
          ])
            .stdout.trim()
            .split('\n');
    const mine = states.filter((line) => services.includes(line.split(' ')[0]));
    const healthy = mine.filter((line) => line.endsWith(' running healthy')).length;
    if (healthy === services.length && mine.length === services.length) return;
    const broken = mine.filter((line) => / (exited|dead|restarting)| unhealthy$/.test(line));
    if (broken.length || Date.now() > deadline) {
      await compose(['logs', '--no-color', '--tail=40'], { allowFailure: true });
      throw new Error(`the stack did not become healthy: ${states.join('; ')}`);
    }
    await sleep(500);
  }
}

/** `down -v`, then checks that nothing of the project is left (and removes what is). */
async function takeDown(compose, host, project) {
  await compose(['down', '-v', '--remove-orphans', '--timeout', '10'], { allowFailure: true, quiet: true });
  const label = `label=com.docker.compose.project=${project}`;
  const left = {
    container: docker(host, ['ps', '-aq', '--filter', label]).stdout.split('\n').filter(Boolean),
    network: docker(host, ['network', 'ls', '-q', '--filter', label]).stdout.split('\n').filter(Boolean),
    volume: docker(host, ['volume', 'ls', '-q', '--filter', label]).stdout.split('\n').filter(Boolean),
  };
  const count = Object.values(left).flat().length;
  if (count === 0) return console.log('sluice: the compose stack is gone: no container, network or volume left');
  console.error(`sluice: compose down left ${count} resource(s) behind; removing them: ${JSON.stringify(left)}`);
  if (left.container.length) docker(host, ['rm', '-f', '-v', ...left.container], { allowFailure: true });
  if (left.network.length) docker(host, ['network', 'rm', ...left.network], { allowFailure: true });
  if (left.volume.length) docker(host, ['volume', 'rm', '-f', ...left.volume], { allowFailure: true });
}

/**
 * Runs a command to its end and resolves to its exit code, or with `capture` to its stdout; `quiet`
 * keeps its output unless it fails.
 */
function run(command, args, env, { allowFailure = false, quiet = false, capture = false } = {}) {
  return new Promise((resolve, reject) => {
    const piped = quiet || capture;
    const child = spawn(command, args, {
      cwd: root,
      env,
      stdio: ['ignore', piped ? 'pipe' : 'inherit', piped ? 'pipe' : 'inherit'],
    });
    const output = [];
    const stdout = [];
    child.stdout?.on('data', (chunk) => output.push(chunk) && stdout.push(chunk));
    child.stderr?.on('data', (chunk) => output.push(chunk));
    child.on('error', reject);
    child.on('exit', (status, signal) => {
      const code = status ?? 128;
      if (code === 0 && capture) return resolve(Buffer.concat(stdout).toString('utf8'));
      if (code === 0 || allowFailure) return resolve(code);
      if (quiet) process.stderr.write(Buffer.concat(output).toString('utf8').split('\n').slice(-60).join('\n'));
      reject(new Error(`${command} ${args.join(' ')} exited with ${status ?? signal}`));
    });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
