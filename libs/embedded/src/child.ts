import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { diesWithParent } from './parent-death';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  uid?: number;
  gid?: number;
  cwd?: string;
  logFile?: string;
  /** Signal that asks for a clean shutdown (SIGINT = fast shutdown for Postgres). */
  stopSignal: NodeJS.Signals;
  stopTimeoutMs?: number;
  /** Environment variables on top of this process's. */
  env?: Record<string, string>;
  /** Send stopSignal when the parent process exits, or is killed (diesWithParent). */
  stopWithParent: boolean;
  /** Stop this child (and wait for it) when the parent gets SIGINT/SIGTERM, then let the signal proceed. */
  handleSignals: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export interface RunningChild {
  readonly process: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /** The last lines the child wrote to stdout/stderr, for error messages. */
  output(): string;
  stop(): Promise<void>;
  kill(): void;
}

const TAIL_LINES = 40;
const live = new Set<{ child: RunningChild; spec: ChildSpec }>();
let exitHookInstalled = false;
let signalHooksInstalled = false;

export function spawnChild(spec: ChildSpec): RunningChild {
  const { command, args } = spec.stopWithParent
    ? diesWithParent(spec.command, spec.args, spec.stopSignal)
    : { command: spec.command, args: spec.args };
  const proc = spawn(command, args, {
    cwd: spec.cwd ?? '/',
    uid: spec.uid,
    gid: spec.gid,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...spec.env, LC_ALL: 'C' },
  });
  const tail: string[] = [];
  const log = spec.logFile ? createWriteStream(spec.logFile, { flags: 'a', mode: 0o600 }) : undefined;
  log?.on('error', () => undefined);
  const collect = (chunk: Buffer) => {
    log?.write(chunk);
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (tail.length > TAIL_LINES) tail.splice(0, tail.length - TAIL_LINES);
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);

  let done = false;
  const exited = new Promise<ExitInfo>((resolve) => {
    const finish = (info: ExitInfo) => {
      if (done) return;
      done = true;
      live.delete(entry);
      log?.end();
      resolve(info);
    };
    proc.once('exit', (code, signal) => finish({ code, signal }));
    proc.once('error', (error) => finish({ code: null, signal: null, error }));
  });

  const child: RunningChild = {
    process: proc,
    exited,
    hasExited: () => done,
    output: () => tail.join('\n'),
    async stop() {
      if (done) return;
      proc.kill(spec.stopSignal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), spec.stopTimeoutMs ?? 30_000);
      await exited;
      clearTimeout(timer);
    },
    kill() {
      if (!done) proc.kill('SIGKILL');
    },
  };
  const entry = { child, spec };
  live.add(entry);
  if (spec.stopWithParent) installExitHook();
  if (spec.handleSignals) installSignalHooks();
  return child;
}

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Only synchronous work is possible here: ask each child to shut down and let it finish alone.
  process.on('exit', () => {
    for (const { child, spec } of live)
      if (spec.stopWithParent && !child.hasExited()) child.process.kill(spec.stopSignal);
  });
}

function installSignalHooks() {
  if (signalHooksInstalled) return;
  signalHooksInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const handler = () => {
      process.removeListener(signal, handler);
      const stopping = [...live].filter(({ spec }) => spec.handleSignals).map(({ child }) => child.stop());
      void Promise.allSettled(stopping).then(() => {
        // Re-raise only when nobody else handles the signal, so the process ends as it would have.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    };
    process.on(signal, handler);
  }
}

export function describeExit(name: string, info: ExitInfo, output: string): string {
  const how = info.error
    ? `failed to start: ${info.error.message}`
    : `exited (${info.signal ? `signal ${info.signal}` : `code ${info.code}`})`;
  return `${name} ${how}${output ? `\n--- last output ---\n${output}` : ''}`;
}

/** The process-facing part of an embedded server's handle, across restarts. */
export interface RestartableProcess {
  readonly process: ChildProcess;
  stop(): Promise<void>;
  kill(): void;
  waitForExit(): Promise<void>;
  restart(): Promise<void>;
}

/** Launches a child and returns a handle whose restart() launches it again with the same spec. */
export async function restartable(launch: () => Promise<RunningChild>): Promise<RestartableProcess> {
  let current = await launch();
  return {
    get process() {
      return current.process;
    },
    stop: () => current.stop(),
    kill: () => current.kill(),
    waitForExit: async () => void (await current.exited),
    async restart() {
      await current.stop();
      current = await launch();
    },
  };
}
