import type { ResolvedCredential } from '../../../credentials/resolved-credential';
import { azureV1Path } from '../../../providers/azure-openai/azure-request';
import type { UpstreamRequest } from '../../../providers/openai-compatible/openai-compatible';

/**
 * A request to an upstream's own Responses API: `{base}/responses{suffix}` (Azure: its v1 API),
 * with the real key (Azure's `api-key`, else `Authorization`) and only the headers built here.
 */
export function responsesRequest(
  credential: ResolvedCredential,
  requestId: string,
  method: 'GET' | 'POST' | 'DELETE',
  suffix: string,
  body = '',
  stream = false,
): UpstreamRequest {
  const headers: Record<string, string> = {
    accept: stream ? 'text/event-stream' : 'application/json',
    'user-agent': 'sluice-gateway/0.1',
    'x-request-id': requestId,
  };
  if (method === 'POST') headers['content-type'] = 'application/json';
  if (credential.azure) {
    if (credential.azure.apiKey !== null) headers['api-key'] = credential.azure.apiKey;
  } else if (credential.authorization !== null) headers.authorization = credential.authorization;
  const base = credential.azure ? azureV1Path(credential.basePath) : credential.basePath;
  return { origin: credential.origin, path: `${base}/responses${suffix}`, method, headers, body };
}
