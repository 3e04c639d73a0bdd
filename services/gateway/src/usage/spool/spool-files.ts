import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';

// `<host>~<owner pid>-<random>.spool` is written by a live gateway; `.recovering` was claimed by
// one. A pid means something only on its own host: a directory shared by several machines or pods
// holds files whose owners this process cannot see, and leaves them to their own host's gateway.
const SPOOL_FILE = /^([^~/]+)~(\d+)-[0-9a-f]+\.(spool|recovering)$/;
// `SLUICE_GATEWAY_INSTANCE_ID` names it when the host name is not stable (a recreated container
// gets a new one): it must stay the same across restarts of one gateway and differ between replicas.
const HOST = (process.env.SLUICE_GATEWAY_INSTANCE_ID || hostname()).replace(/[^A-Za-z0-9_.-]/g, '_') || 'host';

/**
 * Creates the spool directory for this user alone (0700) and refuses one another local user owns
 * or may write to: whatever they put there would be republished as real usage, charged to any key.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = statSync(dir);
  const uid = process.getuid?.();
  const refuse = (why: string) =>
    new Error(
      `refusing the usage spool directory ${dir}: ${why}; another local user could plant usage in it. Use a directory of this user with mode 0700 (SLUICE_GATEWAY_SPOOL_DIR)`,
    );
  if (!stat.isDirectory()) throw refuse('it is not a directory');
  if (uid !== undefined && stat.uid !== uid)
    throw refuse(`it is owned by uid ${stat.uid}, not by this gateway's user (uid ${uid})`);
  if ((stat.mode & 0o022) !== 0) throw refuse(`other users can write to it (mode ${(stat.mode & 0o7777).toString(8)})`);
}

/** Why a spool file is not this user's own regular file (and so not republished), or null when it is. */
function foreignFile(path: string): { owner: number; why: string } | null {
  const stat = lstatSync(path);
  const uid = process.getuid?.();
  if (!stat.isFile()) return { owner: stat.uid, why: 'not a regular file' };
  if (uid !== undefined && stat.uid !== uid)
    return { owner: stat.uid, why: `owned by uid ${stat.uid}, not by this gateway's user (uid ${uid})` };
  return null;
}

/** Spool files of other instances untouched for `olderThanMs`: usage nobody here will report. */
export function strandedSpools(dir: string, olderThanMs: number, now = Date.now()): string[] {
  const stranded: string[] = [];
  for (const name of readdirSync(dir)) {
    const match = SPOOL_FILE.exec(name);
    if (!match || match[1] === HOST) continue;
    try {
      if (now - statSync(join(dir, name)).mtimeMs > olderThanMs) stranded.push(name);
    } catch {
      // claimed or removed meanwhile
    }
  }
  return stranded;
}

/**
 * Spool files this process writes or recovers: never claimed by another gateway started in it (tests start several).
 */
const held = new Set<string>();

export function hold(path: string): void {
  held.add(basename(path));
}

export function release(path: string): void {
  held.delete(basename(path));
}

/** A new file name owned by this process: several gateways may share one directory. */
export function ownFileName(kind: 'spool' | 'recovering', pid = process.pid, host = HOST): string {
  return `${host}~${pid}-${randomBytes(6).toString('hex')}.${kind}`;
}

/** The owner's pid of a spool file written on this host; null for any other file. */
export function ownerPidOf(fileName: string, host = HOST): number | null {
  const match = SPOOL_FILE.exec(fileName);
  return match && match[1] === host ? Number(match[2]) : null;
}

/** Whether a process with this id exists (EPERM: it does, under another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes over every spool file whose owner is dead, by renaming it to a name this process owns:
 * rename is atomic, so when two gateways start together each file goes to exactly one of them.
 * A file carrying this process's own pid that it does not hold is a dead predecessor's (a
 * container's gateway is pid 1 after every restart) and is claimed too.
 */
export function claimDeadSpools(
  dir: string,
  alive: (pid: number) => boolean = isAlive,
  onForeign: (file: string, owner: number, why: string) => void = () => {},
): string[] {
  const claimed: string[] = [];
  for (const name of readdirSync(dir)) {
    const owner = ownerPidOf(name);
    if (owner === null || held.has(name) || (owner !== process.pid && alive(owner))) continue;
    const source = join(dir, name);
    const target = join(dir, ownFileName('recovering'));
    try {
      const foreign = foreignFile(source);
      if (foreign) {
        onForeign(source, foreign.owner, foreign.why);
        continue;
      }
      renameSync(source, target);
      hold(target);
      claimed.push(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // another gateway claimed it first
    }
  }
  return claimed;
}
