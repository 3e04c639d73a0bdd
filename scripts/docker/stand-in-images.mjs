// Images that stand in for node:20-bookworm-slim, nats:2.10-alpine and postgres:16-alpine where no
// registry can be reached, built from Debian's own packages: a bookworm base made with debootstrap
// and `docker import`, then one image per recipe in ./stand-ins (the node one from this machine's
// Node 20). Each is labelled with a hash of its recipe and built only when missing or stale, so
// later runs reuse them.
import { createHash } from 'node:crypto';
import {
  cpSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { docker } from './engine.mjs';

const RECIPES = fileURLToPath(new URL('./stand-ins/', import.meta.url));
const LABEL = 'org.sluice.stand-in-recipe';
const MIRROR = process.env.SLUICE_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

export const STAND_IN_IMAGES = {
  debian: 'sluice-test/debian:bookworm',
  node: 'sluice-test/node:20-bookworm',
  nats: 'sluice-test/nats:2.9-bookworm',
  postgres: 'sluice-test/postgres:15-bookworm',
};

/**
 * Builds whichever stand-in is missing or stale and returns the variables that point the compose
 * file and the testcontainers path at them.
 */
export function ensureStandInImages(host, { log = console.log } = {}) {
  const base = ensureImage(
    host,
    STAND_IN_IMAGES.debian,
    hash(`debootstrap --variant=minbase bookworm ${MIRROR}`),
    log,
    (tag, label) => importDebian(host, tag, label),
  );
  const baseId = imageId(host, STAND_IN_IMAGES.debian);
  for (const name of ['node', 'nats', 'postgres']) {
    const dir = join(RECIPES, name);
    const local = name === 'node' ? localNode() : null;
    const recipe = hash(
      baseId,
      ...readdirSync(dir)
        .sort()
        .map((f) => readFileSync(join(dir, f))),
      ...(local ? [local.version, readFileSync(local.ca)] : []),
    );
    ensureImage(host, STAND_IN_IMAGES[name], recipe, log, (tag, label) => {
      const context = local ? nodeContext(dir, local) : { dir, cleanup: () => {} };
      try {
        docker(host, ['build', '-q', '--build-arg', `BASE=${base}`, '--label', label, '-t', tag, context.dir]);
      } finally {
        context.cleanup();
      }
    });
  }
  return {
    SLUICE_NODE_IMAGE: STAND_IN_IMAGES.node,
    SLUICE_NATS_IMAGE: STAND_IN_IMAGES.nats,
    SLUICE_POSTGRES_IMAGE: STAND_IN_IMAGES.postgres,
  };
}

/**
 * The image variables among `names` (SLUICE_NODE_IMAGE, SLUICE_NATS_IMAGE, SLUICE_POSTGRES_IMAGE):
 * what the caller set, the stand-ins for the rest (built only when one is needed).
 */
export function standInsFor(host, names, opts) {
  if (names.every((name) => process.env[name]))
    return Object.fromEntries(names.map((name) => [name, process.env[name]]));
  const standIns = ensureStandInImages(host, opts);
  return Object.fromEntries(names.map((name) => [name, process.env[name] || standIns[name]]));
}

function ensureImage(host, tag, recipe, log, build) {
  const current = docker(host, ['image', 'inspect', '--format', `{{ index .Config.Labels "${LABEL}" }}`, tag], {
    allowFailure: true,
  });
  if (current.status === 0 && current.stdout.trim() === recipe) return tag;
  const started = Date.now();
  log(`sluice: building the stand-in image ${tag}…`);
  build(tag, `${LABEL}=${recipe}`);
  log(`sluice: built ${tag} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return tag;
}

function importDebian(host, tag, label) {
  const dir = mkdtempSync('/var/tmp/sluice-debootstrap-');
  try {
    const boot = spawnSync('debootstrap', ['--variant=minbase', 'bookworm', dir, MIRROR], { encoding: 'utf8' });
    if (boot.status !== 0) throw new Error(`debootstrap failed:\n${boot.stdout}${boot.stderr}`);
    rmSync(join(dir, 'var/cache/apt/archives'), { recursive: true, force: true });
    const tar = spawnSync(
      'sh',
      [
        '-c',
        `tar -C "$1" -c . | docker import --change "$2" --change "$3" --change "$4" - "$5"`,
        'sh',
        dir,
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'CMD ["bash"]',
        `LABEL ${label}`,
        tag,
      ],
      { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: host } },
    );
    if (tar.status !== 0) throw new Error(`docker import failed:\n${tar.stdout}${tar.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** This machine's Node, npm and CA bundle: what the node stand-in is made of. */
function localNode() {
  const npm = join(spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout.trim(), 'npm');
  if (!existsSync(join(npm, 'bin', 'npm-cli.js'))) throw new Error(`npm not found in ${npm}`);
  const npmVersion = JSON.parse(readFileSync(join(npm, 'package.json'), 'utf8')).version;
  const ca =
    [process.env.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt'].find((f) => f && existsSync(f)) ??
    '/dev/null';
  return { node: realpathSync(process.execPath), npm, ca, version: `node ${process.version} npm ${npmVersion}` };
}

/** The node recipe and what localNode() found, in a temporary build context. */
function nodeContext(recipeDir, local) {
  const dir = mkdtempSync('/var/tmp/sluice-node-image-');
  cpSync(recipeDir, dir, { recursive: true });
  copyFileSync(local.node, join(dir, 'node'));
  cpSync(local.npm, join(dir, 'npm'), { recursive: true });
  copyFileSync(local.ca, join(dir, 'ca-certificates.crt'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function imageId(host, tag) {
  return docker(host, ['image', 'inspect', '--format', '{{.Id}}', tag]).stdout.trim();
}

function hash(...parts) {
  const h = createHash('sha256');
  for (const part of parts) h.update(part).update('\0');
  return h.digest('hex').slice(0, 16);
}
