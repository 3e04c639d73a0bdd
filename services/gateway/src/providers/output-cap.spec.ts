import type { Route } from '@sluice/contracts';
import { resolveCredential } from '../credentials/resolved-credential';
import { anthropicUpstreamRequest } from './anthropic/anthropic-provider';
import { anthropicRequest } from './anthropic/request-mapping';
import { upstreamBody } from './openai-compatible/request-mapping';
import type { UpstreamCall } from './upstream';

const route = (providerType: Route['providerType'], outputCap?: number): Route => ({
  providerId: 'p',
  providerType,
  baseUrl: null,
  upstreamModel: 'up',
  outputCap,
});
const call = (
  providerType: Route['providerType'],
  body: Record<string, unknown>,
  op: UpstreamCall['op'] = 'chat',
): UpstreamCall => ({
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

  it('is the cap policy reserved, under the client’s own field when it set one, the other field removed', () => {
    expect(sent(call('openai', { max_tokens: 1000 }))).toMatchObject({ max_tokens: 1000 });
    expect(sent(call('openai', { max_tokens: 1000 })).max_completion_tokens).toBeUndefined();
    expect(sent(call('openai-compatible', { max_completion_tokens: 1000, max_tokens: null }))).toMatchObject({
      max_completion_tokens: 1000,
    });
    expect(sent(call('openai-compatible', { max_completion_tokens: 1000, max_tokens: null }))).not.toHaveProperty(
      'max_tokens',
    );
  });

  it('is one cap, the reserved one, when the client sent both (an upstream obeys whichever it knows)', () => {
    expect(sent(call('openai-compatible', { max_tokens: 1000, max_completion_tokens: 1 }))).toMatchObject({
      max_tokens: 1000,
    });
    expect(sent(call('openai-compatible', { max_tokens: 1000, max_completion_tokens: 1 }))).not.toHaveProperty(
      'max_completion_tokens',
    );
    expect(sent(call('openai', { max_tokens: 1, max_completion_tokens: 1000 }))).toMatchObject({
      max_completion_tokens: 1000,
    });
    expect(sent(call('openai', { max_tokens: 1, max_completion_tokens: 1000 }))).not.toHaveProperty('max_tokens');
  });

  it('is the client’s larger cap when an older policy routed none', () => {
    const old = {
      ...call('openai-compatible', { max_tokens: 70, max_completion_tokens: 50 }),
      route: route('openai-compatible'),
    };
    expect(sent(old)).toMatchObject({ max_tokens: 70 });
    expect(sent(old)).not.toHaveProperty('max_completion_tokens');
  });

  it('is never added to embeddings, nor when policy routed no cap (an older policy)', () => {
    expect(sent(call('openai', { input: 'x' }, 'embeddings')).max_completion_tokens).toBeUndefined();
    expect(sent({ ...call('openai', {}), route: route('openai') }).max_completion_tokens).toBeUndefined();
  });

  it('reaches Anthropic as its required max_tokens: the reserved cap, not the smaller of two client fields', () => {
    const mapped = anthropicRequest({ messages: [{ role: 'user', content: 'hi' }] }, 'claude-x', 1234, false);
    expect(mapped.ok && mapped.body.max_tokens).toBe(1234);
    const both = call('anthropic', { max_tokens: 1000, max_completion_tokens: 1 });
    const built = anthropicUpstreamRequest(
      both,
      resolveCredential({ providerId: 'p', type: 'anthropic', baseUrl: null, apiKey: 'sk-ant', secretVersion: 1 })!,
    );
    expect(built.ok && JSON.parse(built.request.body).max_tokens).toBe(1000);
  });
});
