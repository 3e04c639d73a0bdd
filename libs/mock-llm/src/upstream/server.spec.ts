import { mockChatCompletion } from '../chat';
import { realTokens } from '../real-tokens';
import { startMockUpstream, type MockUpstream } from './server';

type Res = Omit<Response, 'json'> & { json(): Promise<any> };

const chat = { model: 'mock-gpt', messages: [{ role: 'user', content: 'Hello upstream' }] };

async function post(
  upstream: MockUpstream,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Res> {
  return fetch(`${upstream.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-provider-secret', ...headers },
    body: JSON.stringify(body),
    redirect: 'manual',
  }) as Promise<Res>;
}

const events = (text: string) =>
  text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6));

describe('startMockUpstream', () => {
  let upstream: MockUpstream;
  afterEach(() => upstream?.close());

  it('serves chat completions as JSON and bills them with the Authorization it received', async () => {
    upstream = await startMockUpstream();
    const res = await post(upstream, '/chat/completions', chat, { 'x-request-id': 'req-1' });
    expect(res.status).toBe(200);
    const json = await res.json();
    expect(json.choices[0].message.content).toBe(mockChatCompletion(chat).choices[0].message.content);
    expect(upstream.invoice).toMatchObject({
      calls: 1,
      promptTokens: json.usage.prompt_tokens,
      completionTokens: json.usage.completion_tokens,
      lastAuthorization: 'Bearer sk-provider-secret',
    });
    expect(upstream.invoice.byRequest.get('req-1')).toMatchObject({
      model: 'mock-gpt',
      stream: false,
      completed: true,
      authorization: 'Bearer sk-provider-secret',
    });
  });

  it('streams SSE ending in [DONE], with the usage chunk only when asked for', async () => {
    upstream = await startMockUpstream();
    const plain = events(await (await post(upstream, '/chat/completions', { ...chat, stream: true })).text());
    expect(plain.at(-1)).toBe('[DONE]');
    expect(plain.slice(0, -1).every((e) => !e.includes('"usage"'))).toBe(true);

    const withUsage = events(
      await (
        await post(upstream, '/chat/completions', { ...chat, stream: true, stream_options: { include_usage: true } })
      ).text(),
    );
    const usageChunk = JSON.parse(withUsage.at(-2)!);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage.completion_tokens).toBe(mockChatCompletion(chat).usage.completion_tokens);
    expect(upstream.invoice.calls).toBe(2);
    expect(upstream.invoice.completionTokens).toBe(2 * usageChunk.usage.completion_tokens);
  });

  it('omits usage everywhere when told to, and still bills', async () => {
    upstream = await startMockUpstream({ omitUsage: true });
    const json = await (await post(upstream, '/chat/completions', chat)).json();
    expect(json.usage).toBeUndefined();
    const streamed = await (
      await post(upstream, '/chat/completions', { ...chat, stream: true, stream_options: { include_usage: true } })
    ).text();
    expect(streamed).not.toContain('"usage"');
    expect(upstream.invoice.completionTokens).toBe(2 * mockChatCompletion(chat).usage.completion_tokens);
  });

  it('bills only what it generated when the caller leaves a slow stream early', async () => {
    upstream = await startMockUpstream({ chunkDelayMs: 20 });
    const controller = new AbortController();
    const res = await post(upstream, '/chat/completions', { ...chat, stream: true }, { 'x-request-id': 'left' });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    controller.abort();
    await reader.cancel();
    await new Promise((r) => setTimeout(r, 100));
    const entry = upstream.invoice.byRequest.get('left')!;
    expect(entry.completed).toBe(false);
    expect(entry.completionTokens).toBeGreaterThan(0);
    expect(entry.completionTokens).toBeLessThan(mockChatCompletion(chat).usage.completion_tokens);
  });

  it('answers embeddings, legacy completions, the model list and 400 for a bad body', async () => {
    upstream = await startMockUpstream();
    const emb = await (
      await post(upstream, '/embeddings', { model: 'mock-embedding', input: 'x', encoding_format: 'base64' })
    ).json();
    expect(typeof emb.data[0].embedding).toBe('string');
    const cmpl = await (await post(upstream, '/completions', { model: 'mock-instruct', prompt: 'hi' })).json();
    expect(cmpl.object).toBe('text_completion');
    const models = await ((await fetch(`${upstream.url}/models`)) as Res).json();
    expect(models.object).toBe('list');
    const bad = await post(upstream, '/chat/completions', { model: 'm' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.param).toBe('messages');
  });

  it('misbehaves on demand: errors echoing part of the key, HTML errors, redirects, cut streams', async () => {
    upstream = await startMockUpstream();
    const unauthorized = await post(upstream, '/chat/completions', { ...chat, model: 'error-401' });
    expect(unauthorized.status).toBe(401);
    expect((await unauthorized.json()).error).toMatchObject({
      code: 'invalid_api_key',
      message: expect.stringContaining('sk-provi'),
    });
    const html = await post(upstream, '/chat/completions', { ...chat, model: 'error-html-502' });
    expect([html.status, html.headers.get('content-type')]).toEqual([502, 'text/html']);
    const redirect = await post(upstream, '/chat/completions', { ...chat, model: 'redirect' });
    expect(redirect.status).toBe(302);
    const cut = await post(upstream, '/chat/completions', { ...chat, model: 'cut-3', stream: true });
    expect(cut.status).toBe(200);
    await expect(cut.text()).rejects.toThrow();
    expect([...upstream.invoice.byRequest.values()].at(-1)).toMatchObject({
      completed: false,
      completionTokens: expect.any(Number),
    });
  });

  it('with oneTokenPerChunk, streams one token per event, sends no usage, and bills the o200k count', async () => {
    upstream = await startMockUpstream({ oneTokenPerChunk: true });
    const asked = {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Reply with 40 numbers' }],
      stream: true,
      stream_options: { include_usage: true },
    };
    const text = await (await post(upstream, '/chat/completions', asked, { 'x-request-id': 'tok-1' })).text();
    const chunks = events(text)
      .filter((e) => e !== '[DONE]')
      .map((e) => JSON.parse(e));
    expect(chunks.some((c) => c.usage)).toBe(false);
    const pieces = chunks.map((c) => c.choices[0]?.delta?.content).filter((p) => p);
    const tokens = realTokens();
    expect(pieces.every((p) => tokens.count(p) === 1)).toBe(true);
    expect(upstream.invoice.byRequest.get('tok-1')).toMatchObject({ completionTokens: pieces.length, completed: true });
    const json = await (
      await post(upstream, '/chat/completions', { ...asked, stream: false }, { 'x-request-id': 'tok-2' })
    ).json();
    expect(json.usage).toBeUndefined();
    expect(upstream.invoice.byRequest.get('tok-2')!.completionTokens).toBe(
      tokens.count(json.choices[0].message.content),
    );
  });
});
