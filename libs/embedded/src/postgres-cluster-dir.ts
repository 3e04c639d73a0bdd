import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findPostgresUser, makeDataDirPrivate, type OsUser } from './data-dir';

export interface ClusterDir {
  /** Where the Postgres cluster (PGDATA) lives. */
  dir: string;
  /** Set when running as root: the unprivileged user Postgres runs as. */
  owner?: OsUser;
}

// Where clusters go when root asked for a folder the postgres user cannot reach (under /root,
// or below a 0700 folder). Persistent, and keyed by the requested path so a restart finds it again.
export const RELOCATED_CLUSTERS_DIR = '/var/lib/sluice';

/**
 * The cluster lives at <dataDir>/postgres. Postgres refuses to run as root, so as root it runs as
 * the `postgres` OS user, which must own the cluster and be able to reach it through every parent.
 */
export function prepareClusterDir(dataDir: string): ClusterDir {
  makeDataDirPrivate(dataDir);
  const requested = join(resolve(dataDir), 'postgres');
  mkdirSync(requested, { recursive: true, mode: 0o700 });
  if (process.getuid?.() !== 0) return { dir: requested };

  const owner = lookupPostgresUser();
  takeOwnership(requested, owner);
  if (canUse(requested, owner)) return { dir: requested, owner };

  if (readdirSync(requested).length === 0) rmdirSync(requested);
  const hash = createHash('sha256').update(requested).digest('hex').slice(0, 12);
  const relocated = join(RELOCATED_CLUSTERS_DIR, `postgres-${hash}`);
  mkdirSync(RELOCATED_CLUSTERS_DIR, { recursive: true, mode: 0o755 });
  mkdirSync(relocated, { recursive: true, mode: 0o700 });
  takeOwnership(relocated, owner);
  writeFileSync(
    join(resolve(dataDir), 'postgres.location'),
    `${relocated}\n# The postgres OS user cannot reach ${requested}, so the cluster for this folder lives at the path above.\n`,
  );
  return { dir: relocated, owner };
}

function lookupPostgresUser(): OsUser {
  const user = findPostgresUser();
  if (!user) {
    throw new Error(
      'Postgres refuses to run as root and there is no "postgres" OS user to run it as. ' +
        'Install the Debian package "postgresql" (it creates that user) or run as a normal user.',
    );
  }
  return user;
}

function takeOwnership(dir: string, owner: OsUser) {
  if (statSync(dir).uid === owner.uid) return;
  chownTree(dir, owner);
}

function chownTree(path: string, owner: OsUser) {
  chownSync(path, owner.uid, owner.gid);
  if (!lstatSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), owner);
}

function canUse(dir: string, owner: OsUser): boolean {
  if (!existsSync(dir)) return false;
  const probe = spawnSync('test', ['-r', dir, '-a', '-w', dir, '-a', '-x', dir], {
    uid: owner.uid,
    gid: owner.gid,
    cwd: '/',
  });
  return probe.status === 0;
}
