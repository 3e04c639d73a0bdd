import type { IncomingHttpHeaders } from 'node:http';
import { openAiUserOf } from '../dialects/openai/openai-request';
import { callerTagsOf, TAG_LIMITS, type CallerTags } from './caller-tags';

// As the OpenAI dialect hands them over: the body's `user`.
type Args = [clientRequestId: string | null, headers: IncomingHttpHeaders, body: Record<string, unknown>];
const tagsOf = (...[id, headers, body]: Args): CallerTags => {
  const result = callerTagsOf(id, headers, openAiUserOf(body));
  if (!result.ok) throw new Error(`refused: ${result.error.message}`);
  return result.tags;
};
const refusalOf = (...[id, headers, body]: Args) => {
  const result = callerTagsOf(id, headers, openAiUserOf(body));
  return result.ok
    ? null
    : { status: result.error.status, type: result.error.type, param: result.error.param, code: result.error.code };
};

describe('caller tags on the usage record', () => {
  it('keeps the client request id it is given', () => {
    expect(tagsOf('req-1', {}, {}).clientRequestId).toBe('req-1');
    expect(tagsOf(null, {}, {}).clientRequestId).toBeNull();
  });

  it('takes OpenAI user, else Portkey _user, cut to the bound', () => {
    expect(tagsOf('r', {}, { user: 'alice' }).user).toBe('alice');
    expect(tagsOf('r', { 'x-portkey-metadata': '{"_user":"bob"}' }, {}).user).toBe('bob');
    expect(tagsOf('r', { 'x-portkey-metadata': '{"_user":"bob"}' }, { user: 'alice' }).user).toBe('alice');
    expect(tagsOf('r', {}, { user: 'x'.repeat(1000) }).user).toHaveLength(TAG_LIMITS.userChars);
    expect(tagsOf('r', {}, { user: 42 }).user).toBeNull();
  });

  it('keeps flat metadata and drops secret-looking entries', () => {
    const header = JSON.stringify({
      team: 'search',
      n: 3,
      api_key: 'x',
      note: 'sk-sluice-abc',
      Authorization: 'y',
      nested: { a: 1 },
    });
    expect(tagsOf('r', { 'x-portkey-metadata': header }, {}).metadata).toEqual({ team: 'search', n: '3' });
  });

  it('ignores metadata that is not a JSON object or is too large', () => {
    expect(tagsOf('r', { 'x-portkey-metadata': 'not json' }, {}).metadata).toBeNull();
    expect(tagsOf('r', { 'x-portkey-metadata': '[1,2]' }, {}).metadata).toBeNull();
    const big = JSON.stringify({ blob: 'x'.repeat(TAG_LIMITS.metadataHeaderBytes) });
    expect(tagsOf('r', { 'x-portkey-metadata': big }, {}).metadata).toBeNull();
  });

  it('keeps at most the bounded number of entries', () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v']));
    expect(Object.keys(tagsOf('r', { 'x-portkey-metadata': JSON.stringify(many) }, {}).metadata ?? {})).toHaveLength(
      TAG_LIMITS.metadataEntries,
    );
  });

  it('refuses a user or a kept metadata entry that Postgres could not store, naming the field', () => {
    const refused = (param: string) => ({ status: 400, type: 'invalid_request_error', param, code: 'invalid_value' });
    expect(refusalOf('r', {}, { user: 'a\u0000b' })).toEqual(refused('user'));
    expect(refusalOf('r', {}, { user: 'lone \ud800 surrogate' })).toEqual(refused('user'));
    expect(refusalOf('r', {}, { user: 'lone \udc00 low half' })).toEqual(refused('user'));
    // JSON escapes in the header decode to the very characters a raw header cannot carry.
    expect(refusalOf('r', { 'x-portkey-metadata': '{"team":"a\\u0000"}' }, {})).toEqual(refused('x-portkey-metadata'));
    expect(refusalOf('r', { 'x-portkey-metadata': '{"te\\u0000am":"a"}' }, {})).toEqual(refused('x-portkey-metadata'));
    expect(refusalOf('r', { 'x-portkey-metadata': '{"_user":"\\ud83d"}' }, {})).toEqual(refused('x-portkey-metadata'));
    // Entries that are dropped anyway are not stored, so they are not refused.
    expect(refusalOf('r', { 'x-portkey-metadata': '{"api_key":"a\\u0000","team":"ok"}' }, {})).toBeNull();
    // A well-formed pair is fine anywhere.
    expect(tagsOf('r', { 'x-portkey-metadata': '{"mood":"\\ud83d\\ude00"}' }, { user: 'bob \ud83d\ude00' })).toEqual({
      clientRequestId: 'r',
      user: 'bob 😀',
      metadata: { mood: '😀' },
    });
  });

  it('cuts a long user on a code point, never between the halves of a surrogate pair', () => {
    const user = tagsOf('r', {}, { user: `${'x'.repeat(TAG_LIMITS.userChars - 1)}😀 and more` }).user!;
    expect(user).toBe('x'.repeat(TAG_LIMITS.userChars - 1));
    expect(user.isWellFormed()).toBe(true);
  });

  it('reads metadata sent as raw UTF-8 bytes as UTF-8, and Latin-1 bytes as Latin-1', () => {
    const asNodeReadsIt = (text: string, encoding: BufferEncoding) => Buffer.from(text, encoding).toString('latin1');
    expect(tagsOf('r', { 'x-portkey-metadata': asNodeReadsIt('{"team":"équipe 😀"}', 'utf8') }, {}).metadata).toEqual({
      team: 'équipe 😀',
    });
    expect(tagsOf('r', { 'x-portkey-metadata': asNodeReadsIt('{"team":"équipe"}', 'latin1') }, {}).metadata).toEqual({
      team: 'équipe',
    });
  });
});
