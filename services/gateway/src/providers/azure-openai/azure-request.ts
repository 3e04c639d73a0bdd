import type { ResolvedCredential } from '../../credentials/resolved-credential';
import { baseHeaders, type UpstreamRequest } from '../openai-compatible/openai-compatible';
import { upstreamBody } from '../openai-compatible/request-mapping';
import type { UpstreamCall, UpstreamOperation } from '../upstream';
import type { AzureAccess } from './azure-access';

const OPERATION_PATHS = { chat: 'chat/completions', completions: 'completions', embeddings: 'embeddings' } satisfies Record<UpstreamOperation, string>;

/**
 * `{resource}/openai/deployments/{deployment}/{op}?api-version=…`: the route's upstream model is
 * the deployment name. A base URL that already ends in `/openai` (as the Azure portal shows some
 * endpoints) is accepted too. The body is the OpenAI one; Azure ignores its `model`.
 */
export function azurePath(basePath: string, deployment: string, op: UpstreamOperation, apiVersion: string): string {
  const root = basePath.replace(/\/openai$/, '');
  return `${root}/openai/deployments/${encodeURIComponent(deployment)}/${OPERATION_PATHS[op]}?api-version=${encodeURIComponent(apiVersion)}`;
}

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
