import { connect } from 'node:net';
import { answerToEagerClient } from '../../test/eager-client';
import { startHarness, type Harness } from '../../test/harness';

jest.setTimeout(60_000);

const BODY_LIMIT = 1024 * 1024;

describe('a request answered before its body is read (real NATS)', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness({ gateway: { bodyLimit: BODY_LIMIT } })));
  afterAll(() => h?.stop());

  // More than the kernel's buffers hold, still arriving when the answer is written: a gateway that
  // closed with those bytes unread would reset the connection, and the client's failed write would
  // take the answer with it.
  const size = 16 * 1024 * 1024;
  const head = (extra: string, key: string) =>
    'POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n' +
    `${key ? `authorization: Bearer ${key}\r\n` : ''}content-type: application/json\r\n${extra}`;

  it.each([
    ['an unknown key', '', 'HTTP/1.1 401', () => 'sk-sluice-unknown0000000000000000000000000000000000000000'],
    ['no key', '', 'HTTP/1.1 401', () => ''],
    ['a malformed key', '', 'HTTP/1.1 401', () => 'sk-sluice-nope'],
    ['a body over the limit', '', 'HTTP/1.1 413', () => h.key],
    ['a control character in a header', 'x-tag: a\u0001b\r\n', 'HTTP/1.1 400', () => h.key],
    ['headers larger than the server reads', `x-big: ${'b'.repeat(20_000)}\r\n`, 'HTTP/1.1 431', () => h.key],
  ])('gets its answer with %s, every time', async (_what, extra, status, key) => {
    const answers = [];
    for (let i = 0; i < 2; i++) answers.push(await answerToEagerClient(h.gateway.url, head(extra, key()), size));
    expect(answers).toEqual(Array(2).fill(status));
  });
});

describe('unreadable bytes pipelined behind a request still being answered (real NATS)', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness()));
  afterAll(() => h?.stop());

  /** Everything the client got until the connection closed. */
  function exchange(url: string, bytes: string): Promise<string> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve) => {
      const socket = connect(Number(port), hostname, () => socket.write(bytes, 'latin1'));
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
  }

  // Listing the models asks policy: its answer is still to come when the bytes behind it are read.
  it.each([
    ['a request line that is not one', 'NOT HTTP AT ALL\r\n\r\n'],
    ['a control character in a header', 'GET /v1/models HTTP/1.1\r\nhost: x\r\nx-tag: a\u0001b\r\n\r\n'],
  ])(
    '%s: the first request gets its own answer, as the last of the connection, and the bytes none',
    async (_what, after) => {
      const got = await exchange(
        h.gateway.url,
        `GET /v1/models HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${h.key}\r\n\r\n${after}`,
      );
      expect(got).toMatch(/^HTTP\/1\.1 200 /);
      expect(got).toMatch(/\r\nconnection: close\r\n/i);
      expect(got.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200']);
    },
  );
});
