import { mockChatCompletion } from '../chat';
import { startMockUpstream, type MockUpstream } from './server';

type Res = Omit<Response, 'json'> & { json(): Promise<any> };

const chat = { messages: [{ role: 'user', content: 'Hello Azure' }] };

describe('the mock upstream on Azure OpenAI paths', () => {
  let upstream: MockUpstream;
  afterEach(() => upstream?.close());

  const origin = () => upstream.url.replace(/\/v1$/, '');
  const post = (
    path: string,
    body: unknown,
    headers: Record<string, string> = { 'api-key': 'azure-secret' },
  ): Promise<Res> =>
    fetch(`${origin()}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }) as Promise<Res>;

  it('runs and bills the deployment the path names, with no model in the body', async () => {
    upstream = await startMockUpstream({ azureApiKey: 'azure-secret' });
    const res = await post('/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21', chat, {
      'api-key': 'azure-secret',
      'x-request-id': 'az-1',
    });
    expect(res.status).toBe(200);
    const json = await res.json();
    expect(json.choices[0].message.content).toBe(
      mockChatCompletion({ model: 'gpt4o-prod', ...chat }).choices[0].message.content,
    );
    expect(upstream.invoice.byRequest.get('az-1')).toMatchObject({
      model: 'gpt4o-prod',
      path: '/openai/deployments/gpt4o-prod/chat/completions',
      apiVersion: '2024-10-21',
      authorization: undefined,
      completed: true,
    });
  });

  it('streams with the usage chunk when asked, and answers embeddings and completions', async () => {
    upstream = await startMockUpstream();
    const sse = await (
      await post('/openai/deployments/d/chat/completions?api-version=v', {
        ...chat,
        stream: true,
        stream_options: { include_usage: true },
      })
    ).text();
    expect(sse).toContain('"usage"');
    expect(sse.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const emb = await (await post('/openai/deployments/emb/embeddings?api-version=v', { input: 'x' })).json();
    expect(emb.data[0].embedding).toHaveLength(1536);
    const cmpl = await (await post('/openai/deployments/instruct/completions?api-version=v', { prompt: 'hi' })).json();
    expect(cmpl.object).toBe('text_completion');
  });

  it('refuses as Azure does: a wrong or Bearer-only key, no api-version, a filtered prompt', async () => {
    upstream = await startMockUpstream({ azureApiKey: 'azure-secret' });
    const path = '/openai/deployments/d/chat/completions?api-version=2024-10-21';
    expect((await post(path, chat, { 'api-key': 'wrong' })).status).toBe(401);
    const bearer = await post(path, chat, { authorization: 'Bearer azure-secret' });
    expect([bearer.status, (await bearer.json()).error.code]).toEqual([401, '401']);
    expect((await post('/openai/deployments/d/chat/completions', chat)).status).toBe(404);
    const filtered = await post('/openai/deployments/content-filter/chat/completions?api-version=2024-10-21', chat);
    expect(filtered.status).toBe(400);
    expect((await filtered.json()).error).toMatchObject({ code: 'content_filter', param: 'prompt' });
    expect(upstream.invoice.calls).toBe(0);
  });
});
