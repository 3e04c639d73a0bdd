import { callerTagsOf, TAG_LIMITS } from './caller-tags';

describe('caller tags on the usage record', () => {
  it('keeps the client request id it is given', () => {
    expect(callerTagsOf('req-1', {}, {}).clientRequestId).toBe('req-1');
    expect(callerTagsOf(null, {}, {}).clientRequestId).toBeNull();
  });

  it('takes OpenAI user, else Portkey _user, cut to the bound', () => {
    expect(callerTagsOf('r', {}, { user: 'alice' }).user).toBe('alice');
    expect(callerTagsOf('r', { 'x-portkey-metadata': '{"_user":"bob"}' }, {}).user).toBe('bob');
    expect(callerTagsOf('r', { 'x-portkey-metadata': '{"_user":"bob"}' }, { user: 'alice' }).user).toBe('alice');
    expect(callerTagsOf('r', {}, { user: 'x'.repeat(1000) }).user).toHaveLength(TAG_LIMITS.userChars);
    expect(callerTagsOf('r', {}, { user: 42 }).user).toBeNull();
  });

  it('keeps flat metadata and drops secret-looking entries', () => {
    const header = JSON.stringify({ team: 'search', n: 3, api_key: 'x', note: 'sk-sluice-abc', Authorization: 'y', nested: { a: 1 } });
    expect(callerTagsOf('r', { 'x-portkey-metadata': header }, {}).metadata).toEqual({ team: 'search', n: '3' });
  });

  it('ignores metadata that is not a JSON object or is too large', () => {
    expect(callerTagsOf('r', { 'x-portkey-metadata': 'not json' }, {}).metadata).toBeNull();
    expect(callerTagsOf('r', { 'x-portkey-metadata': '[1,2]' }, {}).metadata).toBeNull();
    const big = JSON.stringify({ blob: 'x'.repeat(TAG_LIMITS.metadataHeaderBytes) });
    expect(callerTagsOf('r', { 'x-portkey-metadata': big }, {}).metadata).toBeNull();
  });

  it('keeps at most the bounded number of entries', () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v']));
    expect(Object.keys(callerTagsOf('r', { 'x-portkey-metadata': JSON.stringify(many) }, {}).metadata ?? {})).toHaveLength(TAG_LIMITS.metadataEntries);
  });
});
