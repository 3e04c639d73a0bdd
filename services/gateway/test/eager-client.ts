import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

// The client, run in a process of its own: in the test's process it would share the gateway's event
// loop, which reads the client's bytes in turns the client's own writes leave it, and the reset
// a real client meets never happens.
const CLIENT = `
const { connect } = require('node:net');
const [port, head, size] = process.argv.slice(1);
const socket = connect(Number(port), '127.0.0.1', () => {
  socket.pause();
  const body = Buffer.alloc(Number(size), 'a');
  const request = Buffer.concat([Buffer.from(head + 'content-length: ' + body.length + '\\r\\n\\r\\n', 'latin1'), body]);
  socket.write(request, () => socket.resume());
});
const chunks = [];
socket.on('data', (chunk) => chunks.push(chunk));
socket.on('error', () => undefined);
socket.on('close', () => process.stdout.write(Buffer.concat(chunks).toString('latin1')));
`;

/**
 * Sends `head` and a body of `size` bytes at once from another process, reading only once all of it
 * is written (or the writing failed), as a client that does not expect an early answer does
 * (Python's `requests`, `curl --data-binary @file`): the status line it got, or null when the
 * connection ended without one (a reset that took the answer with it).
 */
export async function answerToEagerClient(url: string, head: string, size: number): Promise<string | null> {
  const { port } = new URL(url);
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', CLIENT, port, head, String(size)], {
    encoding: 'latin1',
    timeout: 30_000,
  });
  return /^HTTP\/1\.1 \d{3}/.exec(stdout)?.[0] ?? null;
}
