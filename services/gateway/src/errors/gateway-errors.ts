import type { OpenAiError } from '@sluice/contracts';

/**
 * Every error the gateway itself answers, whatever the dialect: OpenAI's status, type and code,
 * which is also what policy answers with. Upstream errors are mapped in providers/upstream-errors.ts.
 * Each dialect writes them in its own wire shape (dialects/<dialect>/…error…), nowhere else.
 */
export const GatewayErrors = {
  missingKey: {
    status: 401,
    type: 'invalid_request_error',
    code: null,
    param: null,
    message:
      "You didn't provide an API key. You need to provide your Sluice virtual key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as x-api-key.",
  },
  malformedKey: {
    status: 401,
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    param: null,
    message:
      'Incorrect API key provided. Sluice virtual keys start with sk-sluice- and end with a checksum; the key sent does not match that format.',
  },
  authorizeUnavailable: {
    status: 503,
    type: 'service_unavailable_error',
    code: 'service_unavailable',
    param: null,
    message: 'The gateway could not reach its policy service. Please retry shortly.',
  },
  credentialsUnavailable: {
    status: 503,
    type: 'service_unavailable_error',
    code: 'service_unavailable',
    param: null,
    message:
      'The credentials for the provider this model routes to are not available to the gateway yet. Please retry shortly.',
  },
  upstreamUnreachable: {
    status: 502,
    type: 'server_error',
    code: 'upstream_error',
    param: null,
    message: 'The upstream provider could not be reached or did not answer in time.',
  },
  upstreamBroken: {
    status: 502,
    type: 'server_error',
    code: 'upstream_error',
    param: null,
    message: 'The upstream provider stopped answering in the middle of the response.',
  },
  upstreamRejectedCredentials: {
    status: 502,
    type: 'server_error',
    code: 'upstream_auth_error',
    param: null,
    message:
      'The upstream provider refused the credentials configured for this model. An administrator needs to check the provider key.',
  },
  internal: {
    status: 500,
    type: 'server_error',
    code: null,
    param: null,
    message: 'The gateway had an error while processing your request.',
  },
} satisfies Record<string, OpenAiError>;

export const upstreamTimeout = (deadlineMs: number): OpenAiError => ({
  status: 504,
  type: 'server_error',
  code: 'upstream_timeout',
  param: null,
  message: `The upstream provider did not finish its answer within this gateway's ${deadlineMs / 1000} s deadline for a call.`,
});

/**
 * Answers to requests Node could not read (before any route ran): a malformed request, one too slow, headers too large.
 */
export const CLIENT_ERRORS: Record<400 | 408 | 431, OpenAiError> = {
  400: {
    status: 400,
    type: 'invalid_request_error',
    code: null,
    param: null,
    message: 'The request could not be read as HTTP.',
  },
  408: {
    status: 408,
    type: 'invalid_request_error',
    code: 'request_timeout',
    param: null,
    message: 'The request was not received in time.',
  },
  431: {
    status: 431,
    type: 'invalid_request_error',
    code: 'request_header_fields_too_large',
    param: null,
    message: 'The request headers are too large.',
  },
};

export const upstreamStatusError = (status: number): OpenAiError => ({
  status: 502,
  type: 'server_error',
  code: 'upstream_error',
  param: null,
  message: `The upstream provider answered with HTTP ${status} and a body that is not an OpenAI error.`,
});

export const providerNotSupported = (type: string): OpenAiError => ({
  status: 501,
  type: 'server_error',
  code: 'provider_not_supported',
  param: null,
  message: `Provider type ${type} is not supported by this gateway yet.`,
});

export const invalidUrl = (method: string, path: string): OpenAiError => ({
  status: 404,
  type: 'invalid_request_error',
  code: 'unknown_url',
  param: null,
  message: `Invalid URL (${method} ${path})`,
});

export const requestTooLarge = (limit: number): OpenAiError => ({
  status: 413,
  type: 'invalid_request_error',
  code: 'request_too_large',
  param: null,
  message: `The request body is larger than the ${limit} bytes this gateway accepts.`,
});

/** SDKs retry 429 and 5xx; these are answers a retry cannot change. */
export const shouldNotRetry = (e: OpenAiError): boolean =>
  e.code === 'insufficient_quota' ||
  e.code === 'upstream_not_allowed' ||
  e.code === 'upstream_credential_invalid' ||
  e.status === 501;
