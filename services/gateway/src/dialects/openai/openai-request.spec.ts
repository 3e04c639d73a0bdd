import { parseOpenAiRequest } from './openai-request';

const parse = (op: 'chat' | 'completions' | 'embeddings', body: unknown) =>
  parseOpenAiRequest(op, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));

const errorOf = (op: 'chat' | 'completions' | 'embeddings', body: unknown) => {
  const parsed = parse(op, body);
  if (parsed.ok) throw new Error('expected a validation error');
  return parsed.error;
};

const user = [{ role: 'user', content: 'hi' }];

describe('parseOpenAiRequest', () => {
  it('accepts a chat body and reads model, stream and the client’s own include_usage', () => {
    const parsed = parse('chat', {
      model: 'gpt-x',
      messages: user,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(parsed).toMatchObject({ ok: true, request: { model: 'gpt-x', stream: true, includeUsage: true } });
    expect(parse('chat', { model: 'gpt-x', messages: user, stream: true })).toMatchObject({
      request: { stream: true, includeUsage: false },
    });
    expect(parse('embeddings', { model: 'e', input: 'x', stream: true })).toMatchObject({ request: { stream: false } });
  });

  it('refuses what is not a JSON object with a 400 in OpenAI’s shape', () => {
    for (const raw of ['{not json', '', '[1,2]', 'null', '"text"']) {
      expect(errorOf('chat', raw)).toMatchObject({ status: 400, type: 'invalid_request_error', param: null });
    }
    expect(parseOpenAiRequest('chat', undefined)).toMatchObject({ ok: false, error: { status: 400 } });
  });

  it('names the parameter at fault', () => {
    expect(errorOf('chat', { messages: user })).toMatchObject({
      param: 'model',
      message: 'You must provide a model parameter.',
    });
    expect(errorOf('chat', { model: '', messages: user })).toMatchObject({ param: 'model', code: 'empty_string' });
    expect(errorOf('chat', { model: 7, messages: user })).toMatchObject({ param: 'model', code: 'invalid_type' });
    expect(errorOf('chat', { model: 'm' })).toMatchObject({ param: 'messages', code: 'missing_required_parameter' });
    expect(errorOf('chat', { model: 'm', messages: [] })).toMatchObject({ param: 'messages', code: 'empty_array' });
    expect(errorOf('chat', { model: 'm', messages: 'hello' })).toMatchObject({
      param: 'messages',
      code: 'invalid_type',
    });
    expect(errorOf('chat', { model: 'm', messages: ['hello'] })).toMatchObject({
      param: 'messages[0]',
      code: 'invalid_type',
    });
    expect(errorOf('chat', { model: 'm', messages: [{ content: 'x' }] })).toMatchObject({ param: 'messages[0].role' });
    expect(errorOf('chat', { model: 'm', messages: user, stream: 'yes' })).toMatchObject({
      param: 'stream',
      code: 'invalid_type',
    });
    expect(errorOf('chat', { model: 'm', messages: user, stream_options: { include_usage: true } })).toMatchObject({
      param: 'stream_options',
    });
    expect(errorOf('embeddings', { model: 'e' })).toMatchObject({ param: 'input', code: 'missing_required_parameter' });
    expect(errorOf('embeddings', { model: 'e', input: 5 })).toMatchObject({ param: 'input', code: 'invalid_type' });
    expect(errorOf('completions', { model: 'c' })).toMatchObject({
      param: 'prompt',
      code: 'missing_required_parameter',
    });
  });

  it('refuses the n, best_of and max_tokens OpenAI refuses, in its words, before anything is reserved', () => {
    expect(errorOf('chat', { model: 'm', messages: user, n: 129 })).toEqual({
      status: 400,
      type: 'invalid_request_error',
      param: 'n',
      code: 'integer_above_max_value',
      message: "Invalid 'n': integer above maximum value. Expected a value <= 128, but got 129 instead.",
    });
    expect(errorOf('chat', { model: 'm', messages: user, n: 0 })).toMatchObject({
      param: 'n',
      code: 'integer_below_min_value',
      message: "Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead.",
    });
    expect(errorOf('chat', { model: 'm', messages: user, n: 2.5 })).toMatchObject({
      param: 'n',
      code: 'invalid_type',
      message: "Invalid type for 'n': expected an integer, but got a decimal number instead.",
    });
    expect(errorOf('chat', { model: 'm', messages: user, n: '8' })).toMatchObject({ param: 'n', code: 'invalid_type' });
    expect(errorOf('chat', { model: 'm', messages: user, max_tokens: 0 })).toMatchObject({
      param: 'max_tokens',
      code: 'integer_below_min_value',
    });
    expect(errorOf('chat', { model: 'm', messages: user, max_completion_tokens: 1e3 + 0.5 })).toMatchObject({
      param: 'max_completion_tokens',
      code: 'invalid_type',
    });
    expect(errorOf('completions', { model: 'c', prompt: 'p', best_of: 21 })).toMatchObject({
      param: 'best_of',
      code: 'integer_above_max_value',
    });
    expect(errorOf('completions', { model: 'c', prompt: 'p', n: 4, best_of: 2 })).toMatchObject({
      param: 'best_of',
      code: 'invalid_value',
    });
    expect(parse('chat', { model: 'm', messages: user, n: 128, max_tokens: null })).toMatchObject({ ok: true });
    expect(parse('embeddings', { model: 'e', input: 'x', n: 500 })).toMatchObject({ ok: true });
  });

  it('refuses a model name longer than 256 characters as OpenAI does, before anything matches it', () => {
    expect(parse('chat', { model: 'm'.repeat(256), messages: user })).toMatchObject({ ok: true });
    expect(errorOf('chat', { model: 'm'.repeat(257), messages: user })).toEqual({
      status: 400,
      type: 'invalid_request_error',
      param: 'model',
      code: 'string_above_max_length',
      message:
        "Invalid 'model': string too long. Expected a string with maximum length 256, but got a string with length 257 instead.",
    });
    expect(errorOf('embeddings', { model: 'mini'.repeat(16 * 1024), input: 'x' })).toMatchObject({
      param: 'model',
      code: 'string_above_max_length',
    });
  });

  it('refuses JSON nested more than 128 levels deep with a 400, before parsing it', () => {
    const deep = (levels: number) =>
      `{"model":"m","messages":[{"role":"user","content":${'['.repeat(levels)}${']'.repeat(levels)}}]}`;
    expect(parse('chat', deep(125))).toMatchObject({ ok: true });
    expect(errorOf('chat', deep(126))).toEqual({
      status: 400,
      type: 'invalid_request_error',
      param: null,
      code: 'json_too_deep',
      message: 'The JSON body of your request nests arrays and objects more than 128 levels deep.',
    });
    expect(errorOf('completions', `{"model":"m","prompt":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)).toMatchObject(
      { status: 400, code: 'json_too_deep' },
    );
  });
});
