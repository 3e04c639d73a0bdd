import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

function cut(this: Socket): void {
  this.destroy();
}

/**
 * A body that stops arriving is cut: while it is read, the client may stay silent at most
 * `idleMs` (Node's requestTimeout bounds the whole request; this bounds a stall in it). The
 * socket's own idle timer is used, so there is no timer of ours per request; Node's keep-alive
 * timer uses it too between requests and resets it when the next one starts.
 */
export function armBodyIdle(req: IncomingMessage, idleMs: number): void {
  req.socket.setTimeout(0, cut).setTimeout(idleMs, cut);
}

/** Once the body is in: the wait for the upstream is not the client's silence. */
export function disarmBodyIdle(req: IncomingMessage): void {
  req.socket.setTimeout(0, cut);
}
