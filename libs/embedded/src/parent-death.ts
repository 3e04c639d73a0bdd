import { spawnSync } from 'node:child_process';
import { findBinary } from './find-binary';

let setpriv: string | null | undefined;

/**
 * The command line that runs `command` so that the kernel sends it `signal` when the process that
 * started it dies, however it dies: a SIGKILL, the OOM killer or a crash of `npm start` would
 * otherwise leave its servers and services running, holding their ports and data folders (the
 * next `npm start` then fails on Postgres' lock file). util-linux's `setpriv` sets the parent-death
 * signal (Linux's PR_SET_PDEATHSIG) and then becomes the command, so the pid is the command's own.
 * Without a setpriv that has `--pdeathsig` (not Linux; util-linux before 2.33, as on RHEL 8;
 * BusyBox's) the command runs as given, and only the parent's own exit and signal handlers stop it.
 */
export function diesWithParent(
  command: string,
  args: readonly string[],
  signal: NodeJS.Signals,
): { command: string; args: string[] } {
  if (setpriv === undefined) setpriv = usableSetpriv();
  if (!setpriv) return { command, args: [...args] };
  return { command: setpriv, args: ['--pdeathsig', signal, '--', command, ...args] };
}

/** setpriv's path, once it has run a command with a parent-death signal here; null when it cannot. */
function usableSetpriv(): string | null {
  if (process.platform !== 'linux') return null;
  let path: string;
  try {
    path = findBinary('setpriv');
  } catch {
    return null;
  }
  const probe = spawnSync(path, ['--pdeathsig', 'SIGTERM', '--', process.execPath, '-e', ''], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  return probe.status === 0 ? path : null;
}
