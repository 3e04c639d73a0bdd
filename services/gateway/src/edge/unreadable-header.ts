import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { OpenAiError } from '@sluice/contracts';
import { anthropicErrorBody } from '../dialects/anthropic/anthropic-errors';
import { errorBody } from '../dialects/openai/error-body';
import { CLIENT_ERRORS } from '../errors/gateway-errors';

// A control character other than tab, which Node's HTTP parser refuses in a header (NUL among them).
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
// As routes.ts decides: Anthropic's paths, and /v1/models for an Anthropic caller, answer in Anthropic's shape.
const ANTHROPIC_PATH = /^[A-Z]+ \/v1\/messages/;
const MODELS_PATH = /^[A-Z]+ \/v1\/models/;
const header = (name: string) => new RegExp(`\r\n${name}:`, 'i');
const ANTHROPIC_VERSION = header('anthropic-version');
const X_API_KEY = header('x-api-key');
const AUTHORIZATION = header('authorization');

function speaksAnthropic(head: string): boolean {
  if (ANTHROPIC_PATH.test(head)) return true;
  return MODELS_PATH.test(head) && (ANTHROPIC_VERSION.test(head) || (X_API_KEY.test(head) && !AUTHORIZATION.test(head)));
}

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

const STATUS_LINES = { 400: '400 Bad Request', 431: '431 Request Header Fields Too Large' } as const;

/**
 * Node refuses a request it cannot parse before any route runs, and Fastify would answer with its
 * own error shape. A header holding a control character is answered with a 400 naming it; any
 * parse error of a request for an Anthropic path (headers too large included) in Anthropic's shape,
 * read from the request line in the refused bytes. Every other client error (timeouts, resets, a
 * parse error on another path) keeps the handler it had, in OpenAI's shape.
 */
export function answerUnreadableHeaders(server: Server): void {
  const previous = server.listeners('clientError') as ((err: Error, socket: Socket) => void)[];
  server.removeAllListeners('clientError');
  server.on('clientError', (err: Error & { code?: string; rawPacket?: Buffer }, socket: Socket) => {
    const badHeader = err.code === 'HPE_INVALID_HEADER_TOKEN';
    const anthropic = err.code?.startsWith('HPE_') === true && err.rawPacket !== undefined && speaksAnthropic(err.rawPacket.toString('latin1'));
    if (!socket.writable || (!badHeader && !anthropic)) {
      for (const listener of previous) listener.call(server, err, socket);
      return;
    }
    const requestId = randomUUID();
    const error = badHeader ? unreadableHeaderError(unreadableHeaderIn(err.rawPacket)) : CLIENT_ERRORS[err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400];
    const body = anthropic ? anthropicErrorBody(error, requestId) : errorBody(error);
    socket.end(
      `HTTP/1.1 ${STATUS_LINES[error.status as 400 | 431]}\r\ncontent-type: application/json\r\nconnection: close\r\n` +
        `x-request-id: ${requestId}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
}
