import { createConnection, createServer } from 'node:net';

/** A TCP port that was free a moment ago on `host` (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}

/** Connects once and resolves with the first chunk the server sends (or '' if it sends nothing). */
export function probeTcp(host: string, port: number, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let received = '';
    const finish = (err?: Error) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(received);
    };
    socket.setTimeout(timeoutMs, () => finish(received ? undefined : new Error(`no answer from ${host}:${port}`)));
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      if (received.includes('\n')) finish();
    });
    socket.on('error', (err) => finish(err));
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
