import type { Msg, NatsConnection } from '@nats-io/transport-node';

const encoder = new TextEncoder();
/** nats-server's own default, for a connection that has not received the server's INFO. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

export interface ReplyLogger {
  error(obj: object, msg: string): void;
}

/** The most bytes one message may carry on this connection: the server's max_payload. */
export function maxPayloadOf(nc: NatsConnection): number {
  return nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
}

/**
 * Replies without ever throwing. nats.js throws synchronously from `respond` for a payload above
 * the server's max_payload (or on a closed connection), and a throw inside a subscription callback
 * stops the client reading: the process stays deaf until a stale-ping reconnect. A reply that is
 * too large is not sent but logged; returns whether the reply was sent.
 */
export function respondSafely(
  nc: NatsConnection,
  msg: Msg,
  payload: string | Uint8Array,
  logger?: ReplyLogger,
): boolean {
  const data = typeof payload === 'string' ? encoder.encode(payload) : payload;
  const maxPayload = maxPayloadOf(nc);
  if (data.length > maxPayload) {
    logger?.error(
      { subject: msg.subject, bytes: data.length, maxPayload },
      'a reply larger than the NATS server max_payload was not sent',
    );
    return false;
  }
  try {
    return msg.respond(data);
  } catch (err) {
    logger?.error({ subject: msg.subject, err: (err as Error).message }, 'a reply could not be sent');
    return false;
  }
}
