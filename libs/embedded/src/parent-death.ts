import { findBinary } from './find-binary';

let setpriv: string | null | undefined;

/**
 * The command line that runs `command` so that the kernel sends it `signal` when the process that
 * started it dies, however it dies: a SIGKILL, the OOM killer or a crash of `npm start` would
 * otherwise leave its servers and services running, holding their ports and data folders (the
 * next `npm start` then fails on Postgres' lock file). util-linux's `setpriv` sets the parent-death
 * signal (Linux's PR_SET_PDEATHSIG) and then becomes the command, so the pid is the command's own.
 * Without setpriv (not Linux) the command runs as given, and only the parent's own exit and
 * signal handlers stop it.
 */
export function diesWithParent(
  command: string,
  args: readonly string[],
  signal: NodeJS.Signals,
): { command: string; args: string[] } {
  setpriv ??= lookUpSetpriv();
  if (!setpriv) return { command, args: [...args] };
  return { command: setpriv, args: ['--pdeathsig', signal, '--', command, ...args] };
}

function lookUpSetpriv(): string | null {
  if (process.platform !== 'linux') return null;
  try {
    return findBinary('setpriv');
  } catch {
    return null;
  }
}
