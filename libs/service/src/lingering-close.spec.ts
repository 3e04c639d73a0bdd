import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { closeAfterAnswer, lingerOnClose, type Linger } from './lingering-close';

interface Refusing {
  server: Server;
  served: string[];
  /** When the server's side of the (first) connection closed: only once it read all the client sent, or cut it. */
  closed: Promise<number>;
  /**
   * When the server finished its (first) answer: the connection lingers from then. On the server's
   * clock, not the client's reading of it, which a busy event loop can delay by tens of ms.
   */
  answeredAt(): number;
  stop(): void;
}

/**
 * A server that refuses every request unread, closing the connection after the answer — at once, or
 * (`answerAfterMs`) deciding at once and answering later, as the gateway does after asking policy.
 */
async function refusingServer(linger?: Linger, answerAfterMs?: number): Promise<Refusing> {
  const served: string[] = [];
  let answeredAt = 0;
  let closedAt: (at: number) => void = () => undefined;
  const closed = new Promise<number>((resolve) => (closedAt = resolve));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    served.push(req.url ?? '');
    res.once('finish', () => (answeredAt ||= performance.now()));
    const answer = () => res.writeHead(401, { 'content-length': 0 }).end();
    closeAfterAnswer(res);
    if (answerAfterMs === undefined) answer();
    else setTimeout(answer, answerAfterMs);
  });
  const lingers = lingerOnClose(server, linger);
  server.once('connection', (socket: Socket) => socket.on('close', () => closedAt(performance.now())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, served, closed, answeredAt: () => answeredAt, stop: () => lingers.stop() };
}

/** A client that keeps its side open when the server ends its own (Node's default would end it too). */
function client(server: Server, onConnect: (c: Socket) => void): { socket: Socket; got: () => string } {
  const received: Buffer[] = [];
  const socket = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true }, () =>
    onConnect(socket),
  );
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => undefined);
  return { socket, got: () => Buffer.concat(received).toString('latin1') };
}

/** Sends a chunked body a byte at a time, every `everyMs`, until stopped: then says when it last sent. */
function trickle(socket: Socket, everyMs: number): () => number {
  socket.write('POST /slow HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n');
  let sentAt = performance.now();
  const timer = setInterval(() => {
    socket.write('1\r\na\r\n');
    sentAt = performance.now();
  }, everyMs);
  return () => {
    clearInterval(timer);
    return sentAt;
  };
}

jest.setTimeout(20_000);

describe('a connection closed after an answer, lingering', () => {
  let s: Refusing | undefined;
  afterEach(() => new Promise((resolve) => (s ? s.server.close(resolve) : resolve(undefined))));

  it('does not serve a request pipelined behind the answer that closed it', async () => {
    s = await refusingServer();
    const body = Buffer.alloc(1024 * 1024, 'a');
    const c = client(s.server, (socket) => {
      socket.write(`POST /first HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n`);
      socket.write(body);
      socket.write('GET /second HTTP/1.1\r\nhost: x\r\n\r\n');
      socket.end();
    });
    await s.closed;
    expect(s.served).toEqual(['/first']);
    expect(c.got()).toMatch(/^HTTP\/1\.1 401/);
  });

  it('nor one read while the answer that will close it is still being made', async () => {
    s = await refusingServer({ idleMs: 100, maxMs: 60_000 }, 50);
    const c = client(s.server, (socket) =>
      socket.write(
        'POST /first HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}' +
          'POST /second HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}',
      ),
    );
    await s.closed;
    expect(s.served).toEqual(['/first']);
    expect(c.got()).toMatch(/^HTTP\/1\.1 401/);
  });

  it('waits for a client still sending past its idle time, and cuts one silent for that long', async () => {
    // An idle time long enough that no pause of a busy machine's timers between two sends reaches it.
    s = await refusingServer({ idleMs: 1000, maxMs: 60_000 });
    let stopSending: () => number = () => 0;
    const c = client(s.server, (socket) => {
      stopSending = trickle(socket, 20);
    });
    // Sending for more than two idle times, then silent: the connection stays until one idle time after.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const lastSentAt = stopSending();
    const closedAt = await s.closed;
    c.socket.destroy();
    expect(c.got()).toMatch(/^HTTP\/1\.1 401/);
    expect(closedAt - s.answeredAt()).toBeGreaterThanOrEqual(2000);
    expect(closedAt - lastSentAt).toBeGreaterThanOrEqual(1000 - 5);
  });

  it('cuts a client that never stops sending once the longest linger is over', async () => {
    s = await refusingServer({ idleMs: 60_000, maxMs: 300 });
    let stopSending: () => number = () => 0;
    const c = client(s.server, (socket) => {
      stopSending = trickle(socket, 20);
    });
    const closedAt = await s.closed;
    stopSending();
    c.socket.destroy();
    expect(c.got()).toMatch(/^HTTP\/1\.1 401/);
    expect(closedAt - s.answeredAt()).toBeGreaterThanOrEqual(300 - 5);
  });

  it('is cut at once when the server stops (a shutdown does not wait for it)', async () => {
    s = await refusingServer({ idleMs: 60_000, maxMs: 60_000 });
    const refusing = s;
    let stopSending: () => number = () => 0;
    const c = client(s.server, (socket) => {
      stopSending = trickle(socket, 20);
    });
    // Stopped once the answer is in: the connection is lingering by then.
    await new Promise<void>((resolve) => c.socket.once('data', () => resolve()));
    refusing.stop();
    await refusing.closed;
    stopSending();
    c.socket.destroy();
  });
});
