import type { FastifyRequest } from 'fastify';

/**
 * The socket's peer address (forwarding headers are not trusted: a client could claim any
 * address and slip past an IP allowlist). IPv4-mapped IPv6 is reported as plain IPv4, so
 * policy compares like with like.
 */
export function clientIpOf(req: FastifyRequest): string {
  const ip = req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
