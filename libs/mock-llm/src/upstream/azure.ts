import type { IncomingHttpHeaders } from 'node:http';
import type { Operation } from './replies';

/** A call on Azure OpenAI's path shape: `/openai/deployments/{deployment}/{op}?api-version=…`. */
export interface AzureRoute {
  op: Operation;
  deployment: string;
  apiVersion: string | null;
}

const AZURE_PATH = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|completions|embeddings)$/;
const OPS: Record<string, Operation> = {
  'chat/completions': 'chat',
  completions: 'completions',
  embeddings: 'embeddings',
};

export function azureRoute(url: string): AzureRoute | null {
  const parsed = new URL(url, 'http://mock');
  const m = AZURE_PATH.exec(parsed.pathname);
  if (!m) return null;
  return { op: OPS[m[2]], deployment: decodeURIComponent(m[1]), apiVersion: parsed.searchParams.get('api-version') };
}

export interface AzureRefusal {
  status: number;
  body: unknown;
}

/**
 * What Azure answers before it runs a deployment, in its own error shapes: no api-version, a
 * missing or wrong `api-key` (when the mock has one; Azure never takes the key as a Bearer token),
 * and the deployment `content-filter`, whose prompt the content filter always blocks.
 */
export function azureRefusal(
  route: AzureRoute,
  headers: IncomingHttpHeaders,
  apiKey: string | undefined,
): AzureRefusal | null {
  if (!route.apiVersion) return { status: 404, body: { error: { code: '404', message: 'Resource not found' } } };
  if (apiKey !== undefined && headers['api-key'] !== apiKey) {
    return {
      status: 401,
      body: {
        error: {
          code: '401',
          message:
            'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
        },
      },
    };
  }
  if (route.deployment === 'content-filter') {
    return {
      status: 400,
      body: {
        error: {
          message:
            "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
          type: null,
          param: 'prompt',
          code: 'content_filter',
          status: 400,
          innererror: {
            code: 'ResponsibleAIPolicyViolation',
            content_filter_result: { hate: { filtered: true, severity: 'high' } },
          },
        },
      },
    };
  }
  return null;
}
