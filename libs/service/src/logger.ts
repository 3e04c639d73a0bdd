import pino, { type Logger } from 'pino';
import { activeTraceFields } from '@sluice/telemetry';

export type { Logger };

/**
 * Structured JSON logs. Bodies are never logged by default, and every header or field that can
 * carry a secret is redacted here, once, for every service. A line logged inside a traced call
 * carries its `traceId` and `spanId`.
 */
export function createLogger(service: string): Logger {
  return pino({
    base: { service },
    // A line logged while a traced call is active names its trace (see withSpan).
    mixin: activeTraceFields,
    level: process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: [
        'apiKey',
        '*.apiKey',
        'key',
        '*.key',
        'token',
        '*.token',
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers["api-key"]',
        'req.headers["x-portkey-api-key"]',
        'req.headers["x-portkey-virtual-key"]',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
  });
}
