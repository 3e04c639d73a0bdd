import { createServer } from 'node:net';

/** The preferred port when it is free on loopback, else any free port. */
export async function pickPort(preferred: number): Promise<number> {
  return (await listenOnce(preferred).catch(() => null)) ?? (await listenOnce(0));
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const chosen = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(chosen));
    });
  });
}
