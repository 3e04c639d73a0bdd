// SQLSTATE class 08 (connection exception), and the server shutting down, crashed or starting up.
const UNAVAILABLE_SQLSTATE = /^(08...|57P01|57P02|57P03)$/;
const UNAVAILABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);
// What pg says when the server closed a connection it was using.
const UNAVAILABLE_MESSAGE = /^Connection terminated|not queryable|timeout exceeded when trying to connect/;

/**
 * True when `err` says Postgres cannot be reached right now (down, restarting, the connection
 * lost), as opposed to a query that failed: a caller may retry the same request later.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  // Not `instanceof Error`: a socket error made in another realm (a jest sandbox) is not one.
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SOCKET.has(code))) return true;
  return typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message);
}
