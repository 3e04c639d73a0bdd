import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { lingerOnClose } from './lingering-close';

/** A server that answers every request at once, unread, and closes the connection after it. */
async function refusingServer(
  lingerMs?: number,
): Promise<{ server: Server; served: string[]; closed: Promise<number> }> {
  const served: string[] = [];
  let closedAt: (at: number) => void = () => undefined;
  const closed = new Promise<number>((resolve) => (closedAt = resolve));
  const server = createServer((req, res) => {
    served.push(req.url ?? '');
    res.writeHead(401, { connection: 'close', 'content-length': 0 }).end();
  });
  lingerOnClose(server, lingerMs);
  server.on('connection', (socket: Socket) => socket.on('close', () => closedAt(performance.now())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, served, closed };
}

const portOf = (server: Server) => (server.address() as AddressInfo).port;

describe('a connection closed after an answer, lingering', () => {
  let server: Server | undefined;
  afterEach(() => new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined))));

  it('does not serve a request pipelined behind the answer that closed it', async () => {
    const s = await refusingServer();
    server = s.server;
    const body = Buffer.alloc(1024 * 1024, 'a');
    const client = connect(portOf(s.server), '127.0.0.1', () => {
      client.write(`POST /first HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n`);
      client.write(body);
      client.write('GET /second HTTP/1.1\r\nhost: x\r\n\r\n');
    });
    const received: Buffer[] = [];
    client.on('data', (chunk) => received.push(chunk));
    client.on('error', () => undefined);
    // The server's socket closes only once it has read to the end of what the client sent.
    await s.closed;
    expect(s.served).toEqual(['/first']);
    expect(Buffer.concat(received).toString('latin1')).toMatch(/^HTTP\/1\.1 401/);
  });

  it('is cut when its client neither closes nor stops sending, once the linger is over', async () => {
    const lingerMs = 300;
    const s = await refusingServer(lingerMs);
    server = s.server;
    let sending: NodeJS.Timeout | undefined;
    let answeredAt = 0;
    const client = connect(portOf(s.server), '127.0.0.1', () => {
      client.write('POST /slow HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n');
      sending = setInterval(() => client.write('1\r\na\r\n'), 20);
    });
    client.on('data', () => (answeredAt ||= performance.now()));
    client.on('error', () => undefined);
    // A client that does not close when the server's side ends (Node's default would end it).
    client.allowHalfOpen = true;
    const closedAt = await s.closed;
    clearInterval(sending);
    client.destroy();
    expect(answeredAt).toBeGreaterThan(0);
    expect(closedAt - answeredAt).toBeGreaterThanOrEqual(lingerMs - 5);
  });
});
