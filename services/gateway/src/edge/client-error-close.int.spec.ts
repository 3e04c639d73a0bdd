import { connect } from 'node:net';
import { startHarness, type Harness } from '../../test/harness';

jest.setTimeout(60_000);

/**
 * Writes a whole request at once, as a client that does not wait for an early answer does, and
 * reads (a little late) until the connection closes: the status line it got, or null if the connection ended
 * without one (a reset that took the answer with it).
 */
function exchange(url: string, head: string, body: Buffer): Promise<string | null> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(Buffer.concat([Buffer.from(`${head}content-length: ${body.length}\r\n\r\n`, 'latin1'), body]));
      // A busy client reads late: by then a server that closed on unread bytes has reset the connection.
      socket.pause();
      setTimeout(() => socket.resume(), 200);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(/^HTTP\/1\.1 \d{3}/.exec(Buffer.concat(chunks).toString('latin1'))?.[0] ?? null));
  });
}

describe('a request refused before its body is read (real NATS)', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness()));
  afterAll(() => h?.stop());

  // 2 MB still arriving when the answer is written: closing with those bytes unread would reset the connection.
  const body = Buffer.alloc(2 * 1024 * 1024, 'a');
  const head = (extra: string, key = h.key) =>
    `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n${key ? `authorization: Bearer ${key}\r\n` : ''}content-type: application/json\r\n${extra}`;

  it.each([
    ['an unknown key', 'x-unused: 1\r\n', 'HTTP/1.1 401', 'sk-sluice-unknown0000000000000000000000000000000000000000'],
    ['no key', 'x-unused: 1\r\n', 'HTTP/1.1 401', ''],
    ['a control character in a header', 'x-tag: a\u0001b\r\n', 'HTTP/1.1 400', undefined],
    ['headers larger than the server reads', `x-big: ${'b'.repeat(20_000)}\r\n`, 'HTTP/1.1 431', undefined],
  ])('still gets its answer with %s and a large body, every time', async (_what, extra, status, key) => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await exchange(h.gateway.url, head(extra, key), body));
    expect(answers).toEqual(Array(5).fill(status));
  });
});
