import { randomBytes } from 'node:crypto';
import { readdirSync, renameSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';

// `<host>~<owner pid>-<random>.spool` is written by a live gateway; `.recovering` was claimed by
// one. A pid means something only on its own host: a directory shared by several machines or pods
// holds files whose owners this process cannot see, and leaves them to their own host's gateway.
const SPOOL_FILE = /^([^~/]+)~(\d+)-[0-9a-f]+\.(spool|recovering)$/;
// `SLUICE_GATEWAY_INSTANCE_ID` names it when the host name is not stable (a recreated container
// gets a new one): it must stay the same across restarts of one gateway and differ between replicas.
const HOST = (process.env.SLUICE_GATEWAY_INSTANCE_ID || hostname()).replace(/[^A-Za-z0-9_.-]/g, '_') || 'host';

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

/** Spool files this process writes or recovers: never claimed by another gateway started in it (tests start several). */
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
export function claimDeadSpools(dir: string, alive: (pid: number) => boolean = isAlive): string[] {
  const claimed: string[] = [];
  for (const name of readdirSync(dir)) {
    const owner = ownerPidOf(name);
    if (owner === null || held.has(name) || (owner !== process.pid && alive(owner))) continue;
    const target = join(dir, ownFileName('recovering'));
    try {
      renameSync(join(dir, name), target);
      hold(target);
      claimed.push(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // another gateway claimed it first
    }
  }
  return claimed;
}
