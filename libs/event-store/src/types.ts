export interface NewEvent {
  /** A uuid, chosen by the writer: the idempotency key all the way to JetStream's msgID. */
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: Record<string, unknown>;
}

/** int8 and xid8 values are decimal strings: exact, JSON-safe, and what pg returns. */
export interface RecordedEvent extends NewEvent {
  streamId: string;
  streamType: string;
  /** 1 for a stream's first event. */
  streamVersion: number;
  globalPosition: string;
  transactionId: string;
  recordedAt: Date;
}

/** A point in the global log, ordered by (transactionId, globalPosition). */
export interface LogPosition {
  transactionId: string;
  globalPosition: string;
}

/**
 * `'no_stream'`: the stream must not exist. N: the stream's last event must be version N
 * (0 is the same as `'no_stream'`). `'any'`: no check.
 */
export type ExpectedVersion = 'no_stream' | 'any' | number;

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** A logger that takes its fields first (pino's, as libs/service's `createLogger` makes). */
export interface FieldsFirstLogger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** A fields-first logger as the store's Logger. */
export const storeLoggerOf = (logger: FieldsFirstLogger): Logger => ({
  info: (msg, fields) => logger.info(fields ?? {}, msg),
  warn: (msg, fields) => logger.warn(fields ?? {}, msg),
  error: (msg, fields) => logger.error(fields ?? {}, msg),
});
