import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { DomainError, ErrorCodes, type RpcReply } from '@sluice/contracts';
import { fromNatsHeaders, toNatsHeaders, type TraceHeaders } from './headers';

const encoder = new TextEncoder();

export interface RequestOptions {
  timeoutMs?: number;
  trace?: TraceHeaders;
}

/** Sends a request and unwraps the reply envelope; an error reply becomes a DomainError. */
export async function request<T>(nc: NatsConnection, subject: string, payload: unknown, opts: RequestOptions = {}): Promise<T> {
  let msg: Msg;
  try {
    msg = await nc.request(subject, encoder.encode(JSON.stringify(payload)), {
      timeout: opts.timeoutMs ?? 2000,
      headers: toNatsHeaders(opts.trace),
    });
  } catch (err) {
    throw new DomainError(ErrorCodes.unavailable, `no answer on ${subject}: ${(err as Error).message}`);
  }
  const reply = msg.json<RpcReply<T>>();
  if (reply.ok) return reply.data;
  throw new DomainError(reply.error.code as never, reply.error.message, reply.error.details);
}

export type RpcHandler = (payload: unknown, trace: TraceHeaders) => Promise<unknown>;

export interface RpcLogger {
  error(obj: object, msg: string): void;
}

/**
 * Answers requests on a subject within a queue group. A DomainError crosses the bus with its
 * code and message; anything else is reported as INTERNAL without its message (it may hold data
 * that must not leave the service).
 */
export function serve(nc: NatsConnection, subject: string, handler: RpcHandler, opts: { queue: string; logger?: RpcLogger }): Subscription {
  return nc.subscribe(subject, {
    queue: opts.queue,
    callback: (err, msg) => {
      if (err) return;
      void answer(msg, handler, opts.logger);
    },
  });
}

async function answer(msg: Msg, handler: RpcHandler, logger?: RpcLogger): Promise<void> {
  let reply: RpcReply<unknown>;
  try {
    const payload = msg.data.length ? msg.json<unknown>() : {};
    reply = { ok: true, data: await handler(payload, fromNatsHeaders(msg.headers)) };
  } catch (err) {
    if (err instanceof DomainError) {
      reply = { ok: false, error: { code: err.code, message: err.message, details: err.details } };
    } else {
      logger?.error({ err: (err as Error).message, subject: msg.subject }, 'rpc handler failed');
      reply = { ok: false, error: { code: ErrorCodes.internal, message: 'internal error' } };
    }
  }
  msg.respond(encoder.encode(JSON.stringify(reply)));
}
