import { randomBytes } from 'node:crypto';
import { readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';

// `<owner pid>-<random>.spool` is written by a live gateway; `.recovering` was claimed by one.
const SPOOL_FILE = /^(\d+)-[0-9a-f]+\.(spool|recovering)$/;

/** A new file name owned by this process: several gateways may share one directory. */
export function ownFileName(kind: 'spool' | 'recovering', pid = process.pid): string {
  return `${pid}-${randomBytes(6).toString('hex')}.${kind}`;
}

export function ownerPidOf(fileName: string): number | null {
  const match = SPOOL_FILE.exec(fileName);
  return match ? Number(match[1]) : null;
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
 * A file carrying this process's own pid is a dead predecessor's (containers reuse pids) and is
 * claimed too: this runs before the process writes any spool file of its own.
 */
export function claimDeadSpools(dir: string, alive: (pid: number) => boolean = isAlive): string[] {
  const claimed: string[] = [];
  for (const name of readdirSync(dir)) {
    const owner = ownerPidOf(name);
    if (owner === null || (owner !== process.pid && alive(owner))) continue;
    const target = join(dir, ownFileName('recovering'));
    try {
      renameSync(join(dir, name), target);
      claimed.push(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // another gateway claimed it first
    }
  }
  return claimed;
}
