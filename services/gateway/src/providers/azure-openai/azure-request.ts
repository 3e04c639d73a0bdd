import type { ResolvedCredential } from '../../credentials/resolved-credential';
import { baseHeaders, type UpstreamRequest } from '../openai-compatible/openai-compatible';
import { upstreamBody } from '../openai-compatible/request-mapping';
import type { UpstreamCall, UpstreamOperation } from '../upstream';
import type { AzureAccess } from './azure-access';

const OPERATION_PATHS = {
  chat: 'chat/completions',
  completions: 'completions',
  embeddings: 'embeddings',
} satisfies Record<UpstreamOperation, string>;

/**
 * `{resource}/openai/deployments/{deployment}/{op}?api-version=…`: the route's upstream model is
 * the deployment name. A base URL that already ends in `/openai` (as the Azure portal shows some
 * endpoints) is accepted too. The body is the OpenAI one; Azure ignores its `model`.
 */
export function azurePath(
  basePath: string,
  deployment: string,
  op: UpstreamOperation | 'responses',
  apiVersion: string,
): string {
  if (op === 'responses') return `${azureV1Path(basePath)}/responses`;
  const root = basePath.replace(/\/openai$/, '');
  return `${root}/openai/deployments/${encodeURIComponent(deployment)}/${OPERATION_PATHS[op]}?api-version=${encodeURIComponent(apiVersion)}`;
}

/**
 * Azure's v1 API (`{resource}/openai/v1/…`), which is where its Responses API lives: not per
 * deployment (the body's `model` names the deployment) and without an api-version.
 */
export const azureV1Path = (basePath: string): string => `${basePath.replace(/\/openai$/, '')}/openai/v1`;

export function azureRequest(call: UpstreamCall, credential: ResolvedCredential, azure: AzureAccess): UpstreamRequest {
  const headers = baseHeaders(call);
  if (azure.apiKey !== null) headers['api-key'] = azure.apiKey;
  return {
    origin: credential.origin,
    path: azurePath(credential.basePath, call.route.upstreamModel, call.op, azure.apiVersion),
    headers,
    body: upstreamBody(call),
  };
}
