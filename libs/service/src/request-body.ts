import type { IncomingHttpHeaders } from 'node:http';

/** Whether a request announces a body (a length above zero, or a chunked one), before any of it is read. */
export const carriesBody = (headers: IncomingHttpHeaders): boolean =>
  (headers['content-length'] !== undefined && headers['content-length'] !== '0') ||
  headers['transfer-encoding'] !== undefined;
