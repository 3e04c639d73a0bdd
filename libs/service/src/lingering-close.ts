import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How long a closing connection waits for more of what its client is still sending (nginx's `lingering_timeout`). */
export const LINGER_IDLE_MS = 5_000;
/** The longest a closing connection reads and drops what its client sends (nginx's `lingering_time`). */
export const LINGER_MAX_MS = 30_000;

export interface Linger {
  idleMs: number;
  maxMs: number;
}

const DEFAULT_LINGER: Linger = { idleMs: LINGER_IDLE_MS, maxMs: LINGER_MAX_MS };

const CLOSING = Symbol('sluice.closing');
type Marked = Socket & { [CLOSING]?: 'answering' | 'lingering' };

function cut(this: Socket): void {
  this.destroy();
}

/**
 * Closes a connection whose client may still be sending its request: what was written goes out, the
 * service's side ends, and whatever still arrives is read and dropped until the client closes too,
 * sends nothing for `idleMs`, or `maxMs` has passed. Closing at once with bytes unread makes the
 * kernel reset the connection, and a client still writing its body loses the answer with it: a 401
 * or a 413 becomes a connection error, which SDKs retry, body and all (nginx's lingering close).
 */
export function closeLingering(socket: Socket, linger: Linger = DEFAULT_LINGER): void {
  const s = socket as Marked;
  if (s[CLOSING] === 'lingering' || s.destroyed) return;
  s[CLOSING] = 'lingering';
  s.end();
  s.resume();
  // Node's HTTP server refreshes the socket's idle timer for every chunk its parser reads, even after an error.
  s.setTimeout(0, cut).setTimeout(linger.idleMs, cut);
  const last = setTimeout(() => s.destroy(), linger.maxMs).unref();
  s.once('close', () => clearTimeout(last));
}

/**
 * Makes the answer being made the connection's last (`connection: close`), for an answer given before
 * the request's body is read: the body never is — what still arrives is dropped while the connection
 * lingers — and a request read from the connection from now on, pipelined behind, is not served, as
 * its answer could never be sent.
 */
export function closeAfterAnswer(res: ServerResponse): void {
  res.setHeader('connection', 'close');
  (res.req.socket as Marked)[CLOSING] ??= 'answering';
}

/**
 * Whether the connection is closing, lingering. Node's parser, stopped by an error, reports it again
 * for each chunk that still arrives: a handler of client errors has nothing more to say on it.
 */
export const lingering = (socket: Socket): boolean => (socket as Marked)[CLOSING] === 'lingering';

/**
 * Every connection the server closes after an answer (`connection: close`, from either side)
 * lingers: Node ends one through the socket's `destroySoon`. A request read from a connection that
 * is closing is not served: its body is dropped, and no answer is made for it. `stop` (at shutdown)
 * cuts the connections lingering, and every one that closes after it at once.
 */
export function lingerOnClose(server: Server, linger: Linger = DEFAULT_LINGER): { stop(): void } {
  const open = new Set<Socket>();
  let stopped = false;
  function close(this: Socket): void {
    if (stopped) this.destroy();
    else closeLingering(this, linger);
  }
  server.on('connection', (socket: Socket) => {
    socket.destroySoon = close;
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if ((req.socket as Marked)[CLOSING] !== undefined) {
      req.resume();
      return;
    }
    for (const listener of listeners) listener.call(server, req, res);
  });
  return {
    stop() {
      stopped = true;
      for (const socket of open) if (lingering(socket)) socket.destroy();
    },
  };
}
