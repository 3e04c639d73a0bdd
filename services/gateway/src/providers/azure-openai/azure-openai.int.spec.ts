import OpenAI from 'openai';
import { mockChatCompletion, mockVector, startMockUpstream, type MockUpstream } from '@sluice/mock-llm';
import { PRICE, priced, startHarness, type Harness } from '../../../test/harness';
import { AZURE_DEFAULT_API_VERSION } from './azure-access';

jest.setTimeout(60_000);

const AZURE_SECRET = 'azure-key-0123456789abcdef0123456789ab';
const messages = [{ role: 'user' as const, content: 'What is a sluice?' }];

describe('the azure-openai provider (real NATS, mock Azure resource, openai SDK)', () => {
  let h: Harness;
  let azure: MockUpstream;
  const resource = () => azure.url.replace(/\/v1$/, '');

  beforeAll(async () => {
    [h, azure] = await Promise.all([startHarness(), startMockUpstream({ azureApiKey: AZURE_SECRET })]);
    const provider = (providerId: string, baseUrl: string, apiKey: string) => {
      h.credentials.push({ providerId, type: 'azure-openai', baseUrl, apiKey, secretVersion: 1 });
      return (upstreamModel: string) => ({ providerId, providerType: 'azure-openai' as const, baseUrl, upstreamModel });
    };
    const main = provider('prov-azure', resource(), AZURE_SECRET);
    h.routes.set('az-gpt', { ...main('gpt4o-prod'), price: PRICE });
    h.routes.set('az-emb', main('embedding-prod'));
    h.routes.set('az-filtered', main('content-filter'));
    h.routes.set(
      'az-pinned',
      provider('prov-azure-pinned', `${resource()}/openai?api-version=2025-01-01-preview`, AZURE_SECRET)('gpt4o-prod'),
    );
    h.routes.set(
      'az-wrong-key',
      provider('prov-azure-wrong', resource(), 'azure-key-revoked-000000000000000000')('gpt4o-prod'),
    );
  });
  afterAll(async () => {
    await h?.stop();
    await azure?.close();
  });

  it('calls the deployment with the api-key header and the default api-version, and meters it', async () => {
    const { data, response } = await h
      .client()
      .chat.completions.create({ model: 'az-gpt', messages }, { headers: { 'x-request-id': 'az-json' } })
      .withResponse();
    expect(data.choices[0].message.content).toBe(
      mockChatCompletion({ model: 'gpt4o-prod', messages }).choices[0].message.content,
    );
    expect(response.headers.get('x-sluice-provider')).toBe('prov-azure');

    const billed = azure.invoice.byRequest.get('az-json')!;
    expect(billed).toMatchObject({
      path: '/openai/deployments/gpt4o-prod/chat/completions',
      apiVersion: AZURE_DEFAULT_API_VERSION,
      model: 'gpt4o-prod',
      authorization: undefined,
    });
    expect(billed.headers['api-key']).toBe(AZURE_SECRET);

    const usage = await h.usageOf('az-json');
    expect(usage).toMatchObject({
      model: 'az-gpt',
      upstreamModel: 'gpt4o-prod',
      providerId: 'prov-azure',
      status: 200,
      inputTokens: billed.promptTokens,
      outputTokens: billed.completionTokens,
      estimated: false,
    });
    expect(response.headers.get('x-sluice-cost-usd')).toBe(
      priced({ input: billed.promptTokens, output: billed.completionTokens }),
    );
  });

  it('streams with the usage chunk asked for, so the stream is billed from Azure’s own counts', async () => {
    const stream = await h
      .client()
      .chat.completions.create({ model: 'az-gpt', messages, stream: true }, { headers: { 'x-request-id': 'az-sse' } });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(mockChatCompletion({ model: 'gpt4o-prod', messages }).choices[0].message.content);

    const billed = azure.invoice.byRequest.get('az-sse')!;
    expect(billed).toMatchObject({ stream: true, includeUsage: true, completed: true });
    expect(await h.usageOf('az-sse')).toMatchObject({
      stream: true,
      inputTokens: billed.promptTokens,
      outputTokens: billed.completionTokens,
      estimated: false,
    });
  });

  it('serves embeddings from an embeddings deployment', async () => {
    const emb = await h
      .client()
      .embeddings.create(
        { model: 'az-emb', input: ['alpha'], dimensions: 8 },
        { headers: { 'x-request-id': 'az-emb' } },
      );
    expect(emb.data[0].embedding).toEqual(Array.from(mockVector('alpha', 8)));
    expect(azure.invoice.byRequest.get('az-emb')).toMatchObject({
      path: '/openai/deployments/embedding-prod/embeddings',
      model: 'embedding-prod',
    });
    expect(await h.usageOf('az-emb')).toMatchObject({ operation: 'embeddings', inputTokens: emb.usage.prompt_tokens });
  });

  it('uses the api-version the admin pinned in the base URL', async () => {
    await h
      .client()
      .chat.completions.create({ model: 'az-pinned', messages }, { headers: { 'x-request-id': 'az-pinned' } });
    expect(azure.invoice.byRequest.get('az-pinned')).toMatchObject({
      path: '/openai/deployments/gpt4o-prod/chat/completions',
      apiVersion: '2025-01-01-preview',
    });
  });

  it('turns Azure’s 401 for a wrong key into 502 upstream_auth_error, like any provider-key rejection', async () => {
    const err = await h
      .client()
      .chat.completions.create({ model: 'az-wrong-key', messages }, { headers: { 'x-request-id': 'az-401' } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err).toMatchObject({ status: 502, code: 'upstream_auth_error' });
    expect(await h.usageOf('az-401')).toMatchObject({ status: 502, providerId: 'prov-azure-wrong' });
  });

  it('passes a content-filter refusal through as a 400 with code content_filter', async () => {
    const err = await h
      .client()
      .chat.completions.create({ model: 'az-filtered', messages })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'content_filter', param: 'prompt' });
  });

  it('never writes the Azure key into its logs', () => {
    expect(h.logs.join('')).not.toContain(AZURE_SECRET);
  });
});
