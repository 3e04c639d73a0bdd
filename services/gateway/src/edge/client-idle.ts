import type { Socket } from 'node:net';

function cut(this: Socket): void {
  this.destroy();
}

/**
 * A client that stays silent while its body is read, or leaves unread what it was sent, is cut
 * after `idleMs`. The socket's own idle timer is used (it counts reads and writes), so there is
 * no timer of ours per request; Node's keep-alive timer uses it too between requests and resets
 * it when the next one starts. Armed only while the client is the one to act: never while the
 * gateway waits for policy or the upstream.
 */
export function armClientIdle(socket: Socket, idleMs: number): void {
  socket.setTimeout(0, cut).setTimeout(idleMs, cut);
}

export function disarmClientIdle(socket: Socket): void {
  socket.setTimeout(0, cut);
}
