import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Bodies are never logged by default, and every header or field that can
 * carry a secret is redacted here, once, for every service.
 */
export function createLogger(service: string): Logger {
  return pino({
    base: { service },
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
