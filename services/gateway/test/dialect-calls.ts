import type { Operation } from '@sluice/contracts';
import { callEstimate } from '../src/usage/estimate';
import { PROVIDER_SECRET, type Harness } from './harness';

/** One way into the call pipeline: an ingress dialect and how it reaches its provider. */
export interface DialectPath {
  name: string;
  /** The route-name prefix this path's models are registered under. */
  prefix: string;
  path: '/chat/completions' | '/messages' | '/responses';
  op: Extract<Operation, 'chat' | 'messages' | 'responses'>;
  providerType: 'openai-compatible' | 'anthropic';
  supportsResponses?: boolean;
  /** The dialect's error shape: Anthropic's on /v1/messages, OpenAI's elsewhere. */
  anthropicErrors: boolean;
}

export const DIALECT_PATHS: DialectPath[] = [
  {
    name: 'chat completions',
    prefix: 'chat',
    path: '/chat/completions',
    op: 'chat',
    providerType: 'openai-compatible',
    anthropicErrors: false,
  },
  {
    name: 'Messages, native to Anthropic',
    prefix: 'mnat',
    path: '/messages',
    op: 'messages',
    providerType: 'anthropic',
    anthropicErrors: true,
  },
  {
    name: 'Messages, translated to chat',
    prefix: 'mtr',
    path: '/messages',
    op: 'messages',
    providerType: 'openai-compatible',
    anthropicErrors: true,
  },
  {
    name: 'Responses, native',
    prefix: 'rnat',
    path: '/responses',
    op: 'responses',
    providerType: 'openai-compatible',
    supportsResponses: true,
    anthropicErrors: false,
  },
  {
    name: 'Responses, bridged to chat',
    prefix: 'rbr',
    path: '/responses',
    op: 'responses',
    providerType: 'openai-compatible',
    anthropicErrors: false,
  },
];

/** Routes `<prefix>-<model>` on every path to the hostile upstream's `<model>`. */
export function routeEveryDialect(h: Harness, upstreamUrl: string, models: string[]): void {
  h.credentials.push(
    {
      providerId: 'prov-hostile-oai',
      type: 'openai-compatible',
      baseUrl: upstreamUrl,
      apiKey: PROVIDER_SECRET,
      secretVersion: 1,
    },
    {
      providerId: 'prov-hostile-ant',
      type: 'anthropic',
      baseUrl: upstreamUrl,
      apiKey: PROVIDER_SECRET,
      secretVersion: 1,
    },
  );
  for (const d of DIALECT_PATHS) {
    for (const model of models) {
      const providerId = d.providerType === 'anthropic' ? 'prov-hostile-ant' : 'prov-hostile-oai';
      h.routes.set(`${d.prefix}-${model}`, {
        providerId,
        providerType: d.providerType,
        baseUrl: upstreamUrl,
        upstreamModel: model,
        ...(d.supportsResponses ? { supportsResponses: true } : {}),
      });
    }
  }
}

/** A request body of the path's dialect for `<prefix>-<model>`, asking for at most `maxTokens`. */
export function dialectBody(
  d: DialectPath,
  model: string,
  { stream = false, maxTokens = 300 } = {},
): Record<string, unknown> {
  const name = `${d.prefix}-${model}`;
  if (d.op === 'responses')
    return { model: name, input: 'Tell me everything', max_output_tokens: maxTokens, stream, store: false };
  return { model: name, messages: [{ role: 'user', content: 'Tell me everything' }], max_tokens: maxTokens, stream };
}

/** The prompt's bound as the reservation counts it, in the path's own operation. */
export const promptBoundOf = (d: DialectPath, body: Record<string, unknown>): number =>
  callEstimate(d.op, body).inputTokensBound!;

export function dialectHeaders(h: Harness, requestId: string): Record<string, string> {
  return {
    authorization: `Bearer ${h.key}`,
    'anthropic-version': '2023-06-01',
    'content-type': 'application/json',
    'x-request-id': requestId,
  };
}

/** What the client was told, in the path's error shape: [status, the error's type (Anthropic) or code (OpenAI)]. */
export function errorOf(d: DialectPath, status: number, json: any): [number, string | undefined] {
  if (d.anthropicErrors)
    return [status, json?.type === 'error' ? json.error?.type : `not Anthropic's shape: ${JSON.stringify(json)}`];
  return [status, json?.error?.code];
}

/** The error each shape gives a broken upstream answer (502) and a call past its deadline (504). */
export const expectedError = (d: DialectPath, status: 502 | 504): [number, string] => [
  status,
  d.anthropicErrors
    ? status === 502
      ? 'api_error'
      : 'timeout_error'
    : status === 502
      ? 'upstream_error'
      : 'upstream_timeout',
];
