import { resolveCredential } from '../../credentials/resolved-credential';
import type { UpstreamCall } from '../upstream';
import { AZURE_DEFAULT_API_VERSION } from './azure-access';
import { azurePath, azureRequest } from './azure-request';

const azure = (baseUrl: string | null, apiKey: string | null = 'azure-secret') =>
  resolveCredential({ providerId: 'prov-az', type: 'azure-openai', baseUrl, apiKey, secretVersion: 1 });

const call = (over: Partial<UpstreamCall> = {}): UpstreamCall => ({
  op: 'chat',
  body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
  stream: false,
  requestId: 'req-1',
  route: {
    providerId: 'prov-az',
    providerType: 'azure-openai',
    baseUrl: 'https://contoso.openai.azure.com',
    upstreamModel: 'gpt4o-prod',
  },
  ...over,
});

describe('Azure OpenAI requests', () => {
  it('sends the key as api-key, never as Authorization, to the deployment the catalog model names', () => {
    const credential = azure('https://contoso.openai.azure.com')!;
    expect(credential.authorization).toBeNull();
    const req = azureRequest(call(), credential, credential.azure!);
    expect(req.origin).toBe('https://contoso.openai.azure.com');
    expect(req.path).toBe(`/openai/deployments/gpt4o-prod/chat/completions?api-version=${AZURE_DEFAULT_API_VERSION}`);
    expect(req.headers).toMatchObject({
      'api-key': 'azure-secret',
      accept: 'application/json',
      'x-request-id': 'req-1',
    });
    expect(Object.keys(req.headers)).not.toContain('authorization');
    expect(JSON.parse(req.body)).toMatchObject({ model: 'gpt4o-prod', messages: [{ role: 'user', content: 'hi' }] });
  });

  it('uses the api-version pinned in the base URL, and accepts a base URL ending in /openai', () => {
    const pinned = azure('https://contoso.openai.azure.com/openai?api-version=2025-01-01-preview')!;
    expect(pinned.azure!.apiVersion).toBe('2025-01-01-preview');
    expect(azureRequest(call({ op: 'embeddings', body: { input: 'x' } }), pinned, pinned.azure!).path).toBe(
      '/openai/deployments/gpt4o-prod/embeddings?api-version=2025-01-01-preview',
    );
  });

  it('asks a stream for its usage chunk, as for OpenAI, so streams are billed from real counts', () => {
    const credential = azure('https://contoso.openai.azure.com')!;
    const req = azureRequest(
      call({ op: 'completions', stream: true, body: { prompt: 'hi', stream: true } }),
      credential,
      credential.azure!,
    );
    expect(req.path).toBe(`/openai/deployments/gpt4o-prod/completions?api-version=${AZURE_DEFAULT_API_VERSION}`);
    expect(req.headers.accept).toBe('text/event-stream');
    expect(JSON.parse(req.body).stream_options).toEqual({ include_usage: true });
  });

  it('escapes the deployment name and the version into the path', () => {
    expect(azurePath('', 'my deploy/../x', 'chat', '2024-10-21&x=1')).toBe(
      '/openai/deployments/my%20deploy%2F..%2Fx/chat/completions?api-version=2024-10-21%26x%3D1',
    );
  });

  it('has no credential for an Azure provider without a base URL: there is no default resource', () => {
    expect(azure(null)).toBeNull();
    expect(azure('https://contoso.openai.azure.com', null)!.azure!.apiKey).toBeNull();
  });
});
