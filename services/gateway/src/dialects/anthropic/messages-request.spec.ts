import type { FastifyRequest } from 'fastify';
import { parseMessagesRequest } from './messages-request';

const req = (url = '/v1/messages', headers: Record<string, string> = {}) =>
  ({ url, headers }) as unknown as FastifyRequest;
const parse = (body: unknown, r = req(), countOnly = false) =>
  parseMessagesRequest(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), r, countOnly);
const message = { model: 'claude-haiku-4-5', max_tokens: 32000, messages: [{ role: 'user', content: 'hi' }] };
const refusal = (body: unknown, countOnly = false) => {
  const parsed = parse(body, req(), countOnly);
  return parsed.ok ? null : [parsed.error.status, parsed.error.message];
};

describe('a Messages request at the edge', () => {
  it('refuses in Anthropic’s words what Anthropic refuses first', () => {
    expect(refusal('{')).toEqual([400, 'There was an issue with the request body: the body is not valid JSON.']);
    expect(refusal({ ...message, model: undefined })).toEqual([400, 'model: Field required']);
    expect(refusal({ ...message, max_tokens: undefined })).toEqual([400, 'max_tokens: Field required']);
    expect(refusal({ ...message, max_tokens: 1.5 })).toEqual([400, 'max_tokens: Input should be a valid integer']);
    expect(refusal({ ...message, max_tokens: 0 })).toEqual([
      400,
      'max_tokens: Input should be greater than or equal to 1',
    ]);
    expect(refusal({ ...message, messages: 'hi' })).toEqual([
      400,
      'messages: Input should be a valid list, not string',
    ]);
    expect(refusal({ ...message, messages: [{ content: 'x' }] })).toEqual([400, 'messages.0.role: Field required']);
    expect(refusal({ ...message, messages: [{ role: 'user', content: 5 }] })).toEqual([
      400,
      'messages.0.content: Input should be a valid string or a list of content blocks',
    ]);
    expect(refusal({ ...message, stream: 'yes' })).toEqual([400, 'stream: Input should be a valid boolean']);
    // count_tokens has no max_tokens
    expect(refusal({ model: 'm', messages: [] }, true)).toBeNull();
  });

  it('keeps the bytes, the version and beta headers as sent, ?beta=true, the user, and reserves max_tokens of output', () => {
    const raw = JSON.stringify({ ...message, stream: true, metadata: { user_id: '{"session_id":"abc"}' } });
    const parsed = parse(
      raw,
      req('/v1/messages?beta=true', { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'a,b' }),
    );
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.request.raw.toString()).toBe(raw);
    expect(parsed.request).toMatchObject({
      model: 'claude-haiku-4-5',
      stream: true,
      version: '2023-06-01',
      beta: 'a,b',
      betaQuery: true,
      user: { value: '{"session_id":"abc"}', param: 'metadata.user_id' },
    });
    expect(parsed.request.estimate).toMatchObject({ maxOutputTokens: 32000, choices: 1 });
    const plain = parse(message);
    expect(plain.ok && plain.request).toMatchObject({
      betaQuery: false,
      version: undefined,
      beta: undefined,
      stream: false,
    });
  });
});
