import type { OpenAiError } from '@sluice/contracts';
import { GatewayErrors, upstreamStatusError } from '../errors/gateway-errors';

/**
 * What the client sees for an upstream's non-2xx answer. An OpenAI-shaped error passes through
 * with its status (a 5xx stays a 5xx, so SDKs retry). A 401/403 does not: it is about the
 * provider key, not the client's, and OpenAI's message echoes part of that key. Anything else
 * (HTML from a proxy, a redirect) is the upstream misbehaving: 502.
 */
export function upstreamError(status: number, body: Buffer): OpenAiError {
  if (status === 401 || status === 403) return GatewayErrors.upstreamRejectedCredentials;
  if (status < 400) return upstreamStatusError(status);
  let json: { error?: unknown };
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return upstreamStatusError(status);
  }
  const e = json?.error;
  if (typeof e === 'string')
    return {
      status,
      type: status >= 500 ? 'server_error' : 'invalid_request_error',
      code: null,
      param: null,
      message: e,
    };
  if (e === null || typeof e !== 'object' || typeof (e as { message?: unknown }).message !== 'string')
    return upstreamStatusError(status);
  const { message, type, code, param } = e as { message: string; type?: unknown; code?: unknown; param?: unknown };
  return {
    status,
    message,
    type: typeof type === 'string' ? type : status >= 500 ? 'server_error' : 'invalid_request_error',
    code: typeof code === 'string' ? code : null,
    param: typeof param === 'string' ? param : null,
  };
}

/**
 * The upstream's address is outside the upstream policy (checked at connect time). An
 * administrator must act; retrying cannot help, so the answer says not to.
 */
export const upstreamNotAllowed = (reason: string): OpenAiError => ({
  status: 502,
  type: 'server_error',
  code: 'upstream_not_allowed',
  param: null,
  message: `The gateway refused to connect to the upstream provider for this model: ${reason}. An administrator must change the provider's base URL or allow the address with SLUICE_UPSTREAM_ALLOW.`,
});

/** What an error code of Node or undici says the upstream did, in words an administrator can act on. */
const CONNECTION_FAILURES: Record<string, string> = {
  ECONNREFUSED: 'refused the connection',
  ENOTFOUND: 'has a host name that does not resolve',
  EAI_AGAIN: 'has a host name DNS could not resolve in time',
  EHOSTUNREACH: 'is not reachable from the gateway (no route to host)',
  ENETUNREACH: 'is not reachable from the gateway (network unreachable)',
  ECONNRESET: 'closed the connection before answering',
  UND_ERR_SOCKET: 'closed the connection before answering',
  ETIMEDOUT: 'did not accept the connection in time',
  UND_ERR_CONNECT_TIMEOUT: 'did not accept the connection in time',
  UND_ERR_HEADERS_TIMEOUT: 'did not answer in time',
  UND_ERR_BODY_TIMEOUT: 'stopped sending its answer',
  CERT_HAS_EXPIRED: 'presented an expired TLS certificate',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'presented a self-signed TLS certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'presented a TLS certificate from an untrusted authority',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'presented a TLS certificate that could not be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'presented a TLS certificate for another host name',
};

/**
 * The call never got an answer from the upstream; the message says why. A provider key that no
 * HTTP header can carry (undici refuses to send it) is a configuration error: a retry cannot help.
 * Messages name a header or an error code, never a value, so no secret can leak through them.
 */
export function upstreamUnsent(err: { code?: string; message?: string }): OpenAiError {
  const header =
    err.code === 'UND_ERR_INVALID_ARG' ? /^invalid ([a-z-]+) header$/.exec(err.message ?? '')?.[1] : undefined;
  if (header) {
    return {
      status: 502,
      type: 'server_error',
      code: 'upstream_credential_invalid',
      param: null,
      message: `The gateway cannot send the provider key for this model: it has characters an HTTP header cannot carry (the ${header} header). An administrator must rotate the provider key (POST /admin/v1/providers/{id}/rotate).`,
    };
  }
  const what = err.code ? CONNECTION_FAILURES[err.code] : undefined;
  if (!what) return GatewayErrors.upstreamUnreachable;
  return {
    ...GatewayErrors.upstreamUnreachable,
    message: `The upstream provider for this model ${what} (${err.code}).`,
  };
}
