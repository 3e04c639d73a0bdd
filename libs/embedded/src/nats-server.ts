import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describeExit, restartable, spawnChild, type RunningChild } from './child';
import { findBinary } from './find-binary';
import { renderNatsConfig, type NatsUser } from './nats-config';
import { freePort, probeTcp, sleep } from './net';
import { writePrivateFile } from './private-files';

export interface NatsServerOptions {
  /** JetStream keeps its store in <dataDir>/nats; the server log goes to <dataDir>/nats-server.log. */
  dataDir: string;
  /** 0 or undefined: a free port is picked once and kept across restarts. */
  port?: number;
  host?: string;
  /** HTTP monitoring port (0: pick a free one); when set, readiness also waits for /healthz?js-enabled-only=true. */
  monitorPort?: number;
  startTimeoutMs?: number;
  /** The largest message the server accepts (nats-server's default: 1 MB); tests make it small. */
  maxPayload?: number;
  /**
   * With users, only they may connect, each within its permissions; without, anyone who reaches the port may do
   * anything.
   */
  users?: readonly NatsUser[];
  stopWithParent?: boolean;
  handleSignals?: boolean;
}

export interface EmbeddedNats {
  readonly url: string;
  readonly port: number;
  readonly monitorPort: number | undefined;
  /** The current nats-server process (a new one after restart()). */
  readonly process: ChildProcess;
  /** Clean shutdown (SIGTERM), resolves when the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would; pair with waitForExit() to know it is gone. */
  kill(): void;
  waitForExit(): Promise<void>;
  /** Stops the server if it still runs, then starts it again on the same port and data. */
  restart(): Promise<void>;
}

/**
 * The Go runtime settings of the embedded nats-server, each unless the environment sets its own:
 * - GOMEMLIMIT, Go's soft memory limit: past it the collector runs sooner rather than the heap
 *   doubling. A saturation run left the server at ~63 MB resident without one, ~46 MB with it; at
 *   32MiB its collector ran all through a saturation run, doubling its CPU per call (~120 against ~55 µs).
 * - GOMAXPROCS 1: one thread runs its Go code. A local system routes a few thousand messages a
 *   second, a fraction of a core; over two threads each message also woke the other (CPU per call
 *   at 100–500 req/s −15–30 %). Production settings: deploy/README.md.
 * (docs/benchmarks.md, docs/configuration.md#memory-of-npm-start)
 */
export const EMBEDDED_GO_SETTINGS: Readonly<Record<'GOMEMLIMIT' | 'GOMAXPROCS', string>> = {
  GOMEMLIMIT: '48MiB',
  GOMAXPROCS: '1',
};

export async function startNatsServer(options: NatsServerOptions): Promise<EmbeddedNats> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port || (await freePort(host));
  const monitorPort = options.monitorPort === 0 ? await freePort(host) : options.monitorPort;
  const binary = findBinary('nats-server');
  const storeDir = join(options.dataDir, 'nats');
  mkdirSync(storeDir, { recursive: true, mode: 0o700 });
  const args = ['-js', '-sd', storeDir, '-a', host, '-p', String(port)];
  if (monitorPort !== undefined) args.push('-m', String(monitorPort));
  const config = renderNatsConfig(options);
  if (config) {
    // What has no command-line flag, next to the store; it holds the users' passwords.
    const file = join(options.dataDir, 'nats-server.conf');
    writePrivateFile(file, config);
    args.push('-c', file);
  }

  const launch = async (): Promise<RunningChild> => {
    const child = spawnChild({
      name: 'nats-server',
      command: binary,
      args,
      logFile: join(options.dataDir, 'nats-server.log'),
      env: Object.fromEntries(
        Object.entries(EMBEDDED_GO_SETTINGS).map(([name, value]) => [name, process.env[name] || value]),
      ),
      stopSignal: 'SIGTERM',
      stopWithParent: options.stopWithParent ?? true,
      handleSignals: options.handleSignals ?? false,
    });
    try {
      await waitUntilReady(child, host, port, monitorPort, options.startTimeoutMs ?? 30_000);
    } catch (err) {
      child.kill();
      await child.exited;
      throw err;
    }
    return child;
  };

  const handle = await restartable(launch);
  return Object.defineProperties(
    {
      url: `nats://${host}:${port}`,
      port,
      monitorPort,
    },
    Object.getOwnPropertyDescriptors(handle),
  ) as EmbeddedNats;
}

async function waitUntilReady(
  child: RunningChild,
  host: string,
  port: number,
  monitorPort: number | undefined,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (child.hasExited()) throw new Error(describeExit('nats-server', await child.exited, child.output()));
    try {
      // The server greets every client with INFO; it accepts clients only after JetStream is up.
      const info = await probeTcp(host, port);
      if (!info.includes('"jetstream":true')) throw new Error(`JetStream is not enabled: ${info.trim()}`);
      if (!monitorPort || (await jetStreamHealthy(host, monitorPort))) return;
      lastError = 'healthz not ok yet';
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(50);
  }
  throw new Error(
    `nats-server did not become ready on ${host}:${port} within ${timeoutMs} ms (${lastError})\n${child.output()}`,
  );
}

async function jetStreamHealthy(host: string, monitorPort: number): Promise<boolean> {
  const res = await fetch(`http://${host}:${monitorPort}/healthz?js-enabled-only=true`, {
    signal: AbortSignal.timeout(1000),
  });
  return res.ok;
}
