import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { OpenAiError } from '@sluice/contracts';
import { closeLingering, pendingResponse, unreadRequestOf } from '@sluice/service';
import { anthropicErrorBody } from '../dialects/anthropic/anthropic-errors';
import { errorBody } from '../dialects/openai/error-body';
import { anthropicShaped } from './error-shape';

// A control character other than tab, which Node's HTTP parser refuses in a header (NUL among them).
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

/**
 * The header whose value holds a character HTTP does not allow, read from the bytes Node's parser
 * refused; null when it cannot be told (the bad byte is in a name, or the header was in an
 * earlier packet).
 */
export function unreadableHeaderIn(rawPacket: Buffer | undefined): string | null {
  if (!rawPacket) return null;
  const text = rawPacket.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  for (const line of (end === -1 ? text : text.slice(0, end)).split('\r\n')) {
    const bad = line.search(CONTROL);
    if (bad === -1) continue;
    const colon = line.indexOf(':');
    const name = colon === -1 || colon > bad ? '' : line.slice(0, colon).trim().toLowerCase();
    return TOKEN.test(name) ? name : null;
  }
  return null;
}

export function unreadableHeaderError(header: string | null): OpenAiError {
  return {
    status: 400,
    type: 'invalid_request_error',
    code: 'invalid_header',
    param: header,
    message: header
      ? `Invalid '${header}' header: the value contains a control character (such as NUL, U+0000) that HTTP does not allow.`
      : 'A request header contains a control character (such as NUL, U+0000) that HTTP does not allow.',
  };
}

/**
 * Node refuses a request whose headers hold a control character before any route runs, and Fastify
 * would answer with its own error shape. On /v1 the answer is a 400 naming the header, in the shape
 * the path speaks (OpenAI's, Anthropic's); every other client error (timeouts, oversized headers,
 * resets) keeps the handler it had.
 */
export function answerUnreadableHeaders(server: Server): void {
  const previous = server.listeners('clientError') as ((err: Error, socket: Socket) => void)[];
  server.removeAllListeners('clientError');
  server.on('clientError', (err: Error & { code?: string; rawPacket?: Buffer }, socket: Socket) => {
    // Behind a request still to be answered, the bytes are a later request's: the generic handler knows what to do.
    if (err.code !== 'HPE_INVALID_HEADER_TOKEN' || !socket.writable || pendingResponse(socket)) {
      for (const listener of previous) listener.call(server, err, socket);
      return;
    }
    const error = unreadableHeaderError(unreadableHeaderIn(err.rawPacket));
    const requestId = randomUUID();
    const body = anthropicShaped(unreadRequestOf(err.rawPacket))
      ? anthropicErrorBody(error, requestId)
      : errorBody(error);
    socket.write(
      'HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n' +
        `x-request-id: ${requestId}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    closeLingering(socket);
  });
}
