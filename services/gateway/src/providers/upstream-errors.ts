import type { OpenAiError } from '@sluice/contracts';
import { GatewayErrors, upstreamStatusError } from '../ingress/openai-errors';

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
  if (typeof e === 'string') return { status, type: status >= 500 ? 'server_error' : 'invalid_request_error', code: null, param: null, message: e };
  if (e === null || typeof e !== 'object' || typeof (e as { message?: unknown }).message !== 'string') return upstreamStatusError(status);
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
