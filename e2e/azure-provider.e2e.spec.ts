import OpenAI from 'openai';
import { mockChatCompletion } from '@sluice/mock-llm';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(180_000);

const AZURE_SECRET = 'azure-key-e2e-0123456789abcdef012345';
const messages = [{ role: 'user' as const, content: 'Hello Azure' }];

describe('an azure-openai provider, end to end (real NATS, Postgres, five service processes, openai SDK)', () => {
  let e2e: E2eSystem;
  let client: OpenAI;
  let providerId: string;
  const resource = () => e2e.upstream.url.replace(/\/v1$/, '');

  beforeAll(async () => {
    e2e = await startE2eSystem({ upstream: { azureApiKey: AZURE_SECRET } });
    const provider = await e2e.admin('POST', '/providers', {
      name: 'azure-eastus',
      type: 'azure-openai',
      apiKey: AZURE_SECRET,
      baseUrl: resource(),
    });
    expect(provider.status).toBe(201);
    providerId = provider.body.id;
    const model = await e2e.admin('POST', '/models', {
      name: 'gpt-4o',
      providerId,
      upstreamModel: 'gpt4o-deployment',
      inputUsdPerMTok: 2.5,
      outputUsdPerMTok: 10,
    });
    expect(model.status).toBe(201);
    const key = await e2e.admin('POST', '/keys', { name: 'azure-app' });
    expect(key.status).toBe(201);
    client = new OpenAI({
      apiKey: key.body.key,
      baseURL: e2e.system.gatewayUrl.replace('localhost', '127.0.0.1'),
      maxRetries: 0,
    });
  });
  afterAll(() => e2e?.stop());

  it('refuses an Azure provider without its resource URL, at creation and on change', async () => {
    const created = await e2e.admin('POST', '/providers', {
      name: 'azure-nowhere',
      type: 'azure-openai',
      apiKey: AZURE_SECRET,
    });
    expect(created).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', param: 'baseUrl' } } });
    const cleared = await e2e.admin('PATCH', `/providers/${providerId}`, { baseUrl: null });
    expect(cleared).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', param: 'baseUrl' } } });
  });

  it('serves the catalog model from its deployment, with the key in api-key, as JSON and as a stream', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages }, { headers: { 'x-request-id': 'az-e2e-json' } })
      .withResponse();
    expect(data.choices[0].message.content).toBe(
      mockChatCompletion({ model: 'gpt4o-deployment', messages }).choices[0].message.content,
    );
    expect(Number(response.headers.get('x-sluice-cost-usd'))).toBeGreaterThan(0);
    const billed = e2e.upstream.invoice.byRequest.get('az-e2e-json')!;
    expect(billed).toMatchObject({
      path: '/openai/deployments/gpt4o-deployment/chat/completions',
      apiVersion: '2024-10-21',
      authorization: undefined,
    });
    expect(billed.headers['api-key']).toBe(AZURE_SECRET);

    let streamed = '';
    for await (const chunk of await client.chat.completions.create(
      { model: 'gpt-4o', messages, stream: true },
      { headers: { 'x-request-id': 'az-e2e-sse' } },
    )) {
      streamed += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(streamed).toBe(data.choices[0].message.content);
    expect(e2e.upstream.invoice.byRequest.get('az-e2e-sse')).toMatchObject({
      stream: true,
      includeUsage: true,
      completed: true,
    });
  });
});
