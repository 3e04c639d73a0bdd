import { ErrorCodes } from '@sluice/contracts';

const MESSAGES = {
  400: 'The request could not be read as HTTP (a header holds a character HTTP does not allow, or the request is malformed).',
  408: 'The request was not received in time.',
  431: 'The request headers are too large.',
} as const;

/** The documented `{error: {code, message}}` for a request Node refused before any route could read it. */
export const unreadableRequestBody = (status: 400 | 408 | 431): string =>
  JSON.stringify({
    error: { code: status === 400 ? ErrorCodes.validation : 'REQUEST_NOT_READ', message: MESSAGES[status] },
  });
