import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports handed to each jest worker: its own slice, so two workers never pick the same one. */
const SLICE = 800;
/** Above every port `fetch` refuses to reach (the Fetch standard's bad ports end at 10080). */
const FIRST = 11_000;

/**
 * A free port for a server a test starts (a service, NATS, Postgres, a mock), on 127.0.0.1.
 *
 * The OS's `listen(0)` picks from the ephemeral range, the same range every outgoing connection's
 * local port comes from: under load, a connection to Postgres or NATS opened between picking the port
 * and the server listening on it (or while a test restarts that server) takes it, and the server
 * fails with EADDRINUSE — a test that fails once in a few hundred runs. These ports lie below that
 * range, in a slice of their own for each jest worker, and are checked free before they are handed out.
 */
export async function freePort(): Promise<number> {
  const { first, size } = slice();
  for (let tried = 0; tried < size; tried++) {
    const port = first + (next++ % size);
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port in ${first}–${first + size - 1}`);
}

/** Where in its slice this file starts: test files run one after another in a worker, each from 0. */
let next = Math.floor(Math.random() * SLICE);

function slice(): { first: number; size: number } {
  const worker = Math.max(1, Number(process.env.JEST_WORKER_ID) || 1);
  // The same for every worker of a run (their parent is the run's jest process).
  return portSlice(worker, process.ppid, ephemeralRangeStart());
}

/**
 * A worker's slice of ports: distinct for the workers of one run, and starting where the run's seed
 * says, so a second run on the machine most likely takes other slices than the first instead of the
 * very same ones.
 */
export function portSlice(worker: number, runSeed: number, ephemeralLow: number): { first: number; size: number } {
  const slices = Math.max(1, Math.floor((ephemeralLow - FIRST) / SLICE));
  return { first: FIRST + (((runSeed % slices) + worker - 1) % slices) * SLICE, size: SLICE };
}

function ephemeralRangeStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return low > FIRST + SLICE ? low : 32_768;
  } catch {
    return 32_768; // not Linux: the IANA range starts at 49152, so below 32768 is outside it too
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}
