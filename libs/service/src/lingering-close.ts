import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How long a connection the service has closed keeps reading (and dropping) what its client still sends. */
export const LINGER_MS = 5_000;

const LINGERING = Symbol('sluice.lingering');
type MaybeLingering = Socket & { [LINGERING]?: true };

/**
 * Closes a connection whose client may still be sending its request: what was written goes out, the
 * service's side ends, and whatever still arrives is read and dropped until the client closes too
 * or `lingerMs` passes. Closing at once with bytes unread makes the kernel reset the connection,
 * and a client still writing its body loses the answer with it: a 401 or a 413 becomes a connection
 * error, which SDKs retry, body and all (nginx's lingering close).
 */
export function closeLingering(socket: Socket, lingerMs = LINGER_MS): void {
  const s = socket as MaybeLingering;
  if (lingering(s) || s.destroyed) return;
  s[LINGERING] = true;
  s.end();
  s.resume();
  const cut = setTimeout(() => s.destroy(), lingerMs).unref();
  s.once('close', () => clearTimeout(cut));
}

/**
 * Whether the connection is closing, lingering. Node's parser, stopped by an error, reports it again
 * for each chunk that still arrives: a handler of client errors has nothing more to say on it.
 */
export const lingering = (socket: Socket): boolean => (socket as MaybeLingering)[LINGERING] === true;

/**
 * Every connection the server closes after an answer (`connection: close`, from either side)
 * lingers: Node ends one through the socket's `destroySoon`. A request read from a connection
 * already closing is not served (its answer could not be sent): the connection goes.
 */
export function lingerOnClose(server: Server, lingerMs = LINGER_MS): void {
  function close(this: Socket): void {
    closeLingering(this, lingerMs);
  }
  server.on('connection', (socket: Socket) => {
    socket.destroySoon = close;
  });
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (lingering(req.socket)) {
      req.socket.destroy();
      return;
    }
    for (const listener of listeners) listener.call(server, req, res);
  });
}
