import type { Route } from '@sluice/contracts';
import { anthropicRequest } from './anthropic/request-mapping';
import { upstreamBody } from './openai-compatible/request-mapping';
import type { UpstreamCall } from './upstream';

const route = (providerType: Route['providerType'], outputCap?: number): Route => ({ providerId: 'p', providerType, baseUrl: null, upstreamModel: 'up', outputCap });
const call = (providerType: Route['providerType'], body: Record<string, unknown>, op: UpstreamCall['op'] = 'chat'): UpstreamCall => ({
  op,
  body: { model: 'm', messages: [{ role: 'user', content: 'hi' }], ...body },
  stream: false,
  requestId: 'r',
  route: route(providerType, 1000),
});
const sent = (c: UpstreamCall) => JSON.parse(upstreamBody(c));

describe('the output cap the upstream is given', () => {
  it('is the cap policy reserved when the client set none: max_completion_tokens for OpenAI and Azure, max_tokens elsewhere', () => {
    expect(sent(call('openai', {}))).toMatchObject({ max_completion_tokens: 1000 });
    expect(sent(call('openai', {})).max_tokens).toBeUndefined();
    expect(sent(call('azure-openai', {}))).toMatchObject({ max_completion_tokens: 1000 });
    expect(sent(call('openai-compatible', {}))).toMatchObject({ max_tokens: 1000 });
    expect(sent(call('openai', { prompt: 'p' }, 'completions'))).toMatchObject({ max_tokens: 1000 });
  });

  it('is the client’s own cap when it set one (policy refused one above the model’s maximum)', () => {
    expect(sent(call('openai', { max_tokens: 20 }))).toMatchObject({ max_tokens: 20 });
    expect(sent(call('openai', { max_tokens: 20 })).max_completion_tokens).toBeUndefined();
    expect(sent(call('openai-compatible', { max_completion_tokens: 30, max_tokens: null }))).toMatchObject({ max_completion_tokens: 30, max_tokens: null });
  });

  it('is never added to embeddings, nor when policy routed no cap (an older policy)', () => {
    expect(sent(call('openai', { input: 'x' }, 'embeddings')).max_completion_tokens).toBeUndefined();
    expect(sent({ ...call('openai', {}), route: route('openai') }).max_completion_tokens).toBeUndefined();
  });

  it('reaches Anthropic as its required max_tokens', () => {
    const mapped = anthropicRequest({ messages: [{ role: 'user', content: 'hi' }] }, 'claude-x', 1234, false);
    expect(mapped.ok && mapped.body.max_tokens).toBe(1234);
  });
});
