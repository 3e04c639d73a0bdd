import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ArrivingRequest } from './admission';
import type { CallReply, CallRequest, HeaderValue } from '../pipeline/exchange';
import type { RequestContext } from './request-context';

/** A request the fast lane serves, as the pipeline reads it. */
export class LaneRequest implements CallRequest, ArrivingRequest {
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
  body: Buffer | undefined = undefined;
  sluice = null as unknown as RequestContext;

  constructor(readonly raw: IncomingMessage) {
    this.headers = raw.headers;
    this.url = raw.url ?? '';
  }
}

const CHARSET = /;\s*charset=/i;

/**
 * Its answer, written as Fastify's reply writes one: status and headers in one `writeHead` with the
 * body's length, a string or Buffer as it is (a string in JSON said to be UTF-8), anything else as JSON.
 */
export class LaneReply implements CallReply {
  #status = 200;
  readonly #headers: Record<string, HeaderValue> = {};
  #hijacked = false;

  constructor(readonly raw: ServerResponse) {}

  get sent(): boolean {
    return this.#hijacked || this.raw.writableEnded;
  }

  /** As Fastify's: a status HTTP does not have (an upstream's 600–999) is the gateway's error. */
  code(status: number): this {
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new Error(`bad status code ${status}`);
    this.#status = status;
    return this;
  }

  header(name: string, value: HeaderValue): this {
    this.#headers[name.toLowerCase()] = value;
    return this;
  }

  headers(values: Record<string, HeaderValue>): this {
    for (const name of Object.keys(values)) this.header(name, values[name]);
    return this;
  }

  hijack(): this {
    this.#hijacked = true;
    return this;
  }

  send(payload?: unknown): this {
    if (this.sent || this.raw.headersSent) return this;
    const headers = this.#headers;
    let body: string | Buffer;
    if (typeof payload === 'string') {
      body = payload;
      const type = headers['content-type'];
      if (type === undefined) headers['content-type'] = 'text/plain; charset=utf-8';
      else if (typeof type === 'string' && type.includes('json') && !CHARSET.test(type))
        headers['content-type'] = `${type}; charset=utf-8`;
    } else if (Buffer.isBuffer(payload)) {
      body = payload;
      headers['content-type'] ??= 'application/octet-stream';
    } else if (payload === undefined) {
      body = '';
    } else {
      body = JSON.stringify(payload);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    headers['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    this.raw.writeHead(this.#status, headers);
    this.raw.end(body);
    return this;
  }
}
