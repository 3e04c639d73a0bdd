import { connect, type Socket } from 'node:net';

/**
 * HTTP/1.1 written by hand on a socket, for what no HTTP client sends: half a request, a body held
 * back, a client that stops reading. Collects what the server sends and whether it hung up.
 */
export class RawHttp {
  received = Buffer.alloc(0);
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.received = Buffer.concat([this.received, chunk])));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static open(baseUrl: string): Promise<RawHttp> {
    const { hostname, port } = new URL(baseUrl);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(new RawHttp(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** The status of the first response, once its status line is in. */
  get status(): number | null {
    const match = /^HTTP\/1\.1 (\d{3})/.exec(this.received.toString('latin1', 0, 16));
    return match ? Number(match[1]) : null;
  }

  /** The first response's head, lower-cased names. */
  get headers(): Record<string, string> {
    const text = this.received.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    const lines = text
      .slice(0, end < 0 ? undefined : end)
      .split('\r\n')
      .slice(1);
    return Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
  }

  /** The first response's body as JSON (a body with a content-length). */
  get json(): any {
    const text = this.received.toString('utf8');
    const start = text.indexOf('\r\n\r\n') + 4;
    return JSON.parse(text.slice(start, start + Number(this.headers['content-length'])));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A request head: the request line, the headers given, and the blank line. */
export function httpHead(method: string, path: string, headers: Record<string, string>): string {
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
}
