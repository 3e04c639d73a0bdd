import { mockAnthropicMessage } from '../anthropic';
import { startMockUpstream, type MockUpstream } from './server';

const KEY = 'sk-ant-mock';
const body = { model: 'claude-mock', max_tokens: 1024, system: 'Be terse.', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello upstream' }] }] };

async function post(upstream: MockUpstream, payload: unknown, headers: Record<string, string> = {}) {
  return fetch(`${upstream.url}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(payload),
  });
}

describe('the mock upstream’s Anthropic Messages endpoint', () => {
  let upstream: MockUpstream;
  beforeAll(async () => (upstream = await startMockUpstream({ anthropicApiKey: KEY })));
  afterAll(() => upstream.close());

  it('answers a message with usage and bills it by x-request-id', async () => {
    const res = await post(upstream, body, { 'x-request-id': 'm-1' });
    const json: any = await res.json();
    expect(json).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-mock', stop_reason: 'end_turn', content: mockAnthropicMessage(body).content });
    expect(json.content[0].text).toContain('Hello upstream');
    expect(upstream.invoice.byRequest.get('m-1')).toMatchObject({ path: '/v1/messages', promptTokens: json.usage.input_tokens, completionTokens: json.usage.output_tokens, completed: true });
  });

  it('streams Anthropic’s events, from message_start to message_stop, with the output tokens in message_delta', async () => {
    const text = await (await post(upstream, { ...body, stream: true }, { 'x-request-id': 'm-2' })).text();
    const types = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(types[0]).toBe('message_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(text).not.toContain('[DONE]');
    const delta = JSON.parse(/data: (\{"type":"message_delta".*)/.exec(text)![1]);
    expect(delta.usage.output_tokens).toBe(upstream.invoice.byRequest.get('m-2')!.completionTokens);
  });

  it('refuses a wrong x-api-key, a missing anthropic-version and a missing max_tokens in Anthropic’s error shape', async () => {
    const denied = await post(upstream, body, { 'x-api-key': 'wrong' });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
    expect((await post(upstream, body, { 'anthropic-version': '' })).status).toBe(400);
    const { max_tokens: _, ...noMax } = body;
    expect(await (await post(upstream, noMax)).json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
  });

  it('answers error-529 as overloaded_error', async () => {
    const res = await post(upstream, { ...body, model: 'error-529' });
    expect(res.status).toBe(529);
    expect(((await res.json()) as any).error.type).toBe('overloaded_error');
  });
});
