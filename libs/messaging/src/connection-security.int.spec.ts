import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@sluice/testing';
import { connect } from '@nats-io/transport-node';
import { connectNats, securityOf } from './connection';

jest.setTimeout(30_000);

/** A private CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCertificates(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=sluice-test-ca',
  );
  for (const [name, cn] of [
    ['server', 'localhost'],
    ['client', 'sluice-gateway'],
  ]) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    writeFileSync(
      join(dir, `${name}.ext`),
      name === 'server' ? 'subjectAltName=IP:127.0.0.1,DNS:localhost' : 'extendedKeyUsage=clientAuth',
    );
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
  }
}

describe('connecting to a NATS server that requires TLS client certificates (real nats-server)', () => {
  let dir: string;
  let server: ChildProcess;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-nats-tls-'));
    makeCertificates(dir);
    const port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    server = spawn(
      'nats-server',
      [
        '-a',
        '127.0.0.1',
        '-p',
        String(port),
        '--tlsverify',
        '--tlscert',
        'server.pem',
        '--tlskey',
        'server.key',
        '--tlscacert',
        'ca.pem',
      ],
      { cwd: dir, stdio: 'ignore' },
    );
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = createConnection(port, '127.0.0.1', () => resolve(socket.destroy() !== undefined)).on(
            'error',
            () => resolve(false),
          );
        }),
      { timeoutMs: 10_000, intervalMs: 50, description: 'nats-server listening' },
    );
  });
  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with NATS_TLS_CA, NATS_TLS_CERT and NATS_TLS_KEY, and exchanges messages', async () => {
    const env = {
      NATS_TLS_CA: join(dir, 'ca.pem'),
      NATS_TLS_CERT: join(dir, 'client.pem'),
      NATS_TLS_KEY: join(dir, 'client.key'),
    };
    const nc = await connectNats(url, 'tls-test', env);
    const sub = nc.subscribe('ping', { callback: (_err, msg) => void msg.respond('pong') });
    expect((await nc.request('ping', '', { timeout: 2000 })).string()).toBe('pong');
    sub.unsubscribe();
    await nc.close();
  });

  it('is refused without a client certificate', async () => {
    // The same options connectNats uses, without its endless retrying.
    await expect(
      connect({ servers: url, timeout: 2000, ...securityOf({ NATS_TLS_CA: join(dir, 'ca.pem') }) }),
    ).rejects.toThrow();
  });
});
