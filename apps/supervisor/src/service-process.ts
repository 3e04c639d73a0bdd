import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { diesWithParent } from '@sluice/embedded';

export interface ServiceSpec {
  name: string;
  /** The compiled entry point, run with `node`. */
  entry: string;
  /** The whole environment of the process: nothing else of the supervisor's is passed on. */
  env: Record<string, string>;
  /** Base URL of the service's HTTP port, for `GET /ready`. */
  url: string;
  /** Node flags before the entry point (ones NODE_OPTIONS refuses); SLUICE_NODE_ARGS come after them. */
  nodeArgs?: string[];
}

export type Output = (service: string, line: string) => void;

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;
/** A process that stayed up this long is considered healthy again: its backoff starts over. */
const HEALTHY_AFTER_MS = 30_000;
/** What a service that never became ready last said, in the error that says so. */
const LAST_LINES = 8;

/**
 * One supervised service process: restarted with exponential backoff when it dies, as a process
 * supervisor would, and saying so in the output.
 */
export class ServiceProcess {
  #child?: ChildProcess;
  #stopping = false;
  #backoff = MIN_BACKOFF_MS;
  #restartTimer?: NodeJS.Timeout;
  /** Set by `restart(env)`: this process's own configuration changes, on top of the shared spec. */
  #envChanges: Record<string, string> = {};
  #lastLines: string[] = [];
  restarts = 0;

  constructor(
    readonly spec: ServiceSpec,
    private readonly output: Output,
  ) {}

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): void {
    const startedAt = Date.now();
    // Flags Node refuses in NODE_OPTIONS (e.g. --cpu-prof for the benchmark's profiles). No
    // --enable-source-maps: a service maps its stack traces itself, when it formats one (mapStackTraces).
    const nodeArgs = (this.spec.env.SLUICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
    // A supervisor killed outright takes its services with it: each gets the SIGTERM Ctrl-C would send.
    const { command, args } = diesWithParent(
      process.execPath,
      [...(this.spec.nodeArgs ?? []), ...nodeArgs, this.spec.entry],
      'SIGTERM',
    );
    const child = spawn(command, args, {
      env: { ...this.spec.env, ...this.#envChanges },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        this.#lastLines.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
        if (this.#lastLines.length > LAST_LINES) this.#lastLines.shift();
        this.output(this.spec.name, line);
      });
    }
    child.on('exit', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      // A Ctrl-C reaches the whole process group: give our own shutdown a moment to begin
      // before calling this exit a crash.
      setTimeout(() => this.#onExit(code, signal, startedAt), signal === 'SIGINT' || signal === 'SIGTERM' ? 200 : 0);
    });
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null, startedAt: number): void {
    // Stopped on purpose, or already replaced by restart(): nothing to recover.
    if (this.#stopping || this.#child) return;
    if (Date.now() - startedAt > HEALTHY_AFTER_MS) this.#backoff = MIN_BACKOFF_MS;
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF_MS);
    this.restarts++;
    this.output('supervisor', `${this.spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
    this.#restartTimer = setTimeout(() => this.start(), delay);
  }

  /** Sends SIGKILL, as a crash would; the supervisor restarts it. */
  kill(): void {
    this.#child?.kill('SIGKILL');
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Stops the process gracefully and starts it again with `env` changed, as an operator changing a
   * service's configuration would (e.g. a new SLUICE_MASTER_KEYS), and waits until it is ready.
   */
  async restart(env: Record<string, string> = {}): Promise<void> {
    await this.stop();
    this.#envChanges = { ...this.#envChanges, ...env };
    this.#stopping = false;
    this.start();
    await this.waitReady();
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${this.spec.url}/ready`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const said = this.#lastLines.length ? `; its last lines:\n  ${this.#lastLines.join('\n  ')}` : '';
    throw new Error(`${this.spec.name} was not ready within ${timeoutMs} ms (${this.restarts} restarts)${said}`);
  }
}
