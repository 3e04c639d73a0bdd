import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';

export interface OsUser {
  uid: number;
  gid: number;
}

/** The `postgres` OS user (Debian's package creates it), if there is one. */
export function findPostgresUser(): OsUser | undefined {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Makes the data folder its owner's alone (0700): it holds the generated secrets, the logs and
 * both servers' data. As root, Postgres runs as the postgres OS user and must pass through it to
 * its cluster: then 0710 with the postgres group (it may enter, not list). A folder of another
 * user is left as it is.
 */
export function makeDataDirPrivate(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  if (uid === undefined || statSync(dir).uid !== uid) return;
  const postgres = uid === 0 ? findPostgresUser() : undefined;
  if (postgres) chownSync(dir, uid, postgres.gid);
  chmodSync(dir, postgres ? 0o710 : 0o700);
}
