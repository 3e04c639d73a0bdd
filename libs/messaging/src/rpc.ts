import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { DomainError, ErrorCodes, type RpcReply } from '@sluice/contracts';
import { fromNatsHeaders, toNatsHeaders, type TraceHeaders } from './headers';
import { RequestMux } from './request-mux';
import { maxPayloadOf, respondSafely, type ReplyLogger } from './respond';

const encoder = new TextEncoder();

export interface RequestOptions {
  timeoutMs?: number;
  trace?: TraceHeaders;
}

/** Sends a request and unwraps the reply envelope; an error reply becomes a DomainError. */
export async function request<T>(
  nc: NatsConnection,
  subject: string,
  payload: unknown,
  opts: RequestOptions = {},
): Promise<T> {
  let msg: Msg;
  try {
    msg = await RequestMux.of(nc).request(
      subject,
      encoder.encode(JSON.stringify(payload)),
      opts.timeoutMs ?? 2000,
      toNatsHeaders(opts.trace),
    );
  } catch (err) {
    throw new DomainError(ErrorCodes.unavailable, `no answer on ${subject}: ${(err as Error).message}`);
  }
  const reply = msg.json<RpcReply<T>>();
  if (reply.ok) return reply.data;
  throw new DomainError(reply.error.code as never, reply.error.message, reply.error.details);
}

export type RpcHandler = (payload: unknown, trace: TraceHeaders) => Promise<unknown>;

export type RpcLogger = ReplyLogger;

/**
 * Answers requests on a subject within a queue group. A DomainError crosses the bus with its
 * code and message; anything else is reported as INTERNAL without its message (it may hold data
 * that must not leave the service).
 */
export function serve(
  nc: NatsConnection,
  subject: string,
  handler: RpcHandler,
  opts: { queue: string; logger?: RpcLogger },
): Subscription {
  return nc.subscribe(subject, {
    queue: opts.queue,
    callback: (err, msg) => {
      if (err) return;
      void answer(nc, msg, handler, opts.logger);
    },
  });
}

/** Never rejects: every failure becomes an error reply, and the reply itself cannot throw. */
async function answer(nc: NatsConnection, msg: Msg, handler: RpcHandler, logger?: RpcLogger): Promise<void> {
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
  let data: Uint8Array;
  try {
    data = encoder.encode(JSON.stringify(reply));
  } catch (err) {
    logger?.error({ err: (err as Error).message, subject: msg.subject }, 'rpc reply could not be serialised');
    data = encoder.encode(
      JSON.stringify({ ok: false, error: { code: ErrorCodes.internal, message: 'internal error' } }),
    );
  }
  const maxPayload = maxPayloadOf(nc);
  if (data.length <= maxPayload) {
    respondSafely(nc, msg, data, logger);
    return;
  }
  logger?.error(
    { subject: msg.subject, bytes: data.length, maxPayload },
    'rpc reply larger than the NATS server max_payload; answered with an error',
  );
  const tooLarge: RpcReply<never> = {
    ok: false,
    error: {
      code: ErrorCodes.internal,
      message: `the reply (${data.length} bytes) is larger than the NATS server's max_payload (${maxPayload} bytes)`,
    },
  };
  respondSafely(nc, msg, JSON.stringify(tooLarge), logger);
}
