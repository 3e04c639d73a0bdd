import type { ResolvedCredential } from '../../credentials/resolved-credential';
import type { UpstreamRequest } from '../openai-compatible/openai-compatible';
import { ANTHROPIC_VERSION } from './anthropic-wire';

/** A Messages call as its client made it, for Anthropic's own API: the body's bytes and the headers Anthropic reads. */
export interface NativeMessages {
  requestId: string;
  path: '/v1/messages' | '/v1/messages/count_tokens';
  body: Buffer;
  stream: boolean;
  /** `anthropic-version` and `anthropic-beta` as the client sent them (a missing version: the one Sluice speaks). */
  version: string | undefined;
  beta: string | undefined;
  betaQuery: boolean;
}

/**
 * The request to Anthropic for a native call: the client's body bytes, its version and beta
 * headers as sent (a hard-coded beta list is what breaks new clients behind other gateways),
 * `?beta=true` when it asked for it, and the provider's key. Nothing else of the client's headers
 * goes upstream: not its key, nor its SDK's telemetry.
 */
export function anthropicNativeRequest(credential: ResolvedCredential, m: NativeMessages): UpstreamRequest<Buffer> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: m.stream ? 'text/event-stream' : 'application/json',
    'anthropic-version': m.version ?? ANTHROPIC_VERSION,
    'user-agent': 'sluice-gateway/0.1',
    'x-request-id': m.requestId,
  };
  if (m.beta !== undefined) headers['anthropic-beta'] = m.beta;
  if (credential.apiKey) headers['x-api-key'] = credential.apiKey;
  const path = credential.basePath.replace(/\/v1$/, '') + m.path + (m.betaQuery ? '?beta=true' : '');
  return { origin: credential.origin, path, headers, body: m.body };
}
