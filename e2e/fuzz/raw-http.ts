import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  path: string;
  headers: [string, string][];
  body: Buffer;
}

export interface RawResponse {
  status: number;
  headers: string;
  body: string;
  ms: number;
}

/**
 * One request written byte for byte on its own connection (`connection: close`), so a test can
 * send what no well-behaved HTTP client would: any method, path and header bytes. Resolves with
 * what came back once the server closes; rejects if nothing complete arrived within `timeoutMs`.
 */
export function rawExchange(port: number, req: RawRequest, timeoutMs: number): Promise<RawResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms to ${req.method} ${req.path}`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const end = raw.indexOf('\r\n\r\n');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      if (!match)
        return reject(new Error(`no HTTP answer to ${req.method} ${req.path}: ${JSON.stringify(raw.slice(0, 200))}`));
      resolve({
        status: Number(match[1]),
        headers: end < 0 ? raw : raw.slice(0, end),
        body: end < 0 ? '' : Buffer.from(raw.slice(end + 4), 'latin1').toString('utf8'),
        ms: performance.now() - started,
      });
    });
    socket.on('connect', () => {
      const head = [
        `${req.method} ${req.path} HTTP/1.1`,
        'host: 127.0.0.1',
        'connection: close',
        `content-length: ${req.body.length}`,
        ...req.headers.map(([name, value]) => `${name}: ${value}`),
      ];
      socket.write(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), req.body]));
    });
  });
}
