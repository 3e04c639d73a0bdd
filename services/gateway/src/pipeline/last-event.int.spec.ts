import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { freePort, waitFor } from '@sluice/testing';
import { relaySse } from '../dialects/openai/sse-relay';
import type { UpstreamResponse } from '../providers/upstream';
import { relayEvents } from './event-relay';

const STALL_MS = 200;
/**
 * A last event larger than any socket and kernel buffer: a bridged `response.completed` echoes the caller's
 * instructions and tools.
 */
const BIG = 'x'.repeat(8 * 1024 * 1024);

const upstreamOf = (chunks: string[]): UpstreamResponse => ({
  status: 200,
  contentType: 'text/event-stream',
  abort: () => {},
  body: (async function* () {
    for (const chunk of chunks) yield Buffer.from(chunk);
  })(),
});

/**
 * A client that reads may still be starved of CPU for a moment on a loaded machine (CI runs many
 * suites at once): the relay must not take that for a stall, so its bound there is far longer.
 */
const READING_STALL_MS = 5_000;

const boundsOf = (clientStallMs: number) => ({
  requestId: 'r',
  providerId: 'p',
  drainAfterDisconnectMs: 100,
  maxDurationMs: 60_000,
  clientStallMs,
});

/** Each relay, ending with megabytes its client has not read. */
const RELAYS: [string, (res: ServerResponse, stallMs: number) => Promise<unknown>][] = [
  [
    'the Responses relay (native, bridged, replayed)',
    (res, stallMs) =>
      relayEvents(
        res,
        upstreamOf(['data: {"i":0}\n\n', 'data: {"i":1}\n\n']),
        { push: (c) => c, flush: () => null },
        {
          ...boundsOf(stallMs),
          t0: performance.now(),
          end: async () => ({ last: `data: ${BIG}\n\n`, trailers: {} }),
        },
      ),
  ],
  [
    'the chat and Messages relay',
    (res, stallMs) =>
      relaySse(
        res,
        // The upstream's last event has no blank line: the relay writes it at the end.
        upstreamOf([
          'data: {"id":"c","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n',
          `data: {"id":"c","choices":[{"index":0,"delta":{"content":"${BIG}"}}]}`,
        ]),
        {
          ...boundsOf(stallMs),
          t0: performance.now(),
          clientWantsUsage: false,
          maxEventBytes: 16 * 1024 * 1024,
          end: async () => ({}),
        },
      ),
  ],
];

describe('the last event of a stream to a client that stopped reading (real sockets)', () => {
  let server: Server | undefined;
  let client: Socket | undefined;
  afterEach(async () => {
    client?.destroy();
    await new Promise((resolve) => server?.close(resolve));
  });

  it.each(RELAYS)('%s cuts the client at its stall bound, freeing what it held', async (_relay, relay) => {
    let res: ServerResponse | undefined;
    let relayed = false;
    server = createServer((_req, r) => {
      res = r;
      void relay(r, STALL_MS).then(() => {
        relayed = true;
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
    client = connect(port, '127.0.0.1');
    client.pause(); // reads nothing
    client.write('GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    await waitFor(() => relayed, { description: 'the relay to write its last event' });
    expect(res?.writableLength).toBeGreaterThan(0); // megabytes the client has not taken
    // The socket open, nothing read: cut within the stall bound (and a margin for a loaded machine).
    await waitFor(() => res?.socket === null || res?.socket?.destroyed, {
      timeoutMs: STALL_MS * 20,
      description: 'the gateway to cut the client',
    });
  });

  it.each(RELAYS)('%s leaves a client that reads its last event alone', async (_relay, relay) => {
    let received = 0;
    server = createServer((_req, r) => void relay(r, READING_STALL_MS));
    const port = await freePort();
    await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
    client = connect(port, '127.0.0.1');
    client.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    client.write('GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    await waitFor(() => received > BIG.length, { timeoutMs: 10_000, description: 'the whole last event' });
    // The connection is still the client's: a second request on it gets its whole answer too.
    client.write('GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    await waitFor(() => received > 2 * BIG.length, { timeoutMs: 10_000, description: 'the second answer' });
    expect(client.destroyed).toBe(false);
  });
});
