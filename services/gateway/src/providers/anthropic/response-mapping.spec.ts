import { tokensFromUsage } from '../../usage/token-counts';
import { upstreamError } from '../upstream-errors';
import { asOpenAi } from './anthropic-provider';
import { tokensFromAnthropicUsage } from './anthropic-tokens';
import { chatCompletion, openAiErrorBody, openAiUsage } from './response-mapping';

const reply = {
  id: 'msg_01',
  type: 'message',
  role: 'assistant',
  model: 'claude-up-20250101',
  content: [
    { type: 'text', text: 'Hello' },
    { type: 'text', text: ', world' },
  ],
  stop_reason: 'end_turn',
  usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 },
};

describe('Anthropic replies as OpenAI chat completions', () => {
  it('joins the text blocks into one assistant message, with the upstream’s id and model', () => {
    expect(chatCompletion(reply, 1_700_000_000)).toEqual({
      id: 'msg_01',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'claude-up-20250101',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello, world', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 130,
        completion_tokens: 5,
        total_tokens: 135,
        prompt_tokens_details: { cached_tokens: 100 },
      },
    });
  });

  it('bills cache reads and writes as input, the reads as cached input and the writes as cache writes; the client sees OpenAI’s usage', () => {
    const tokens = tokensFromAnthropicUsage(reply.usage)!;
    expect(tokens).toEqual({
      inputTokens: 130,
      cachedInputTokens: 100,
      cacheWriteInputTokens: 20,
      outputTokens: 5,
      reasoningTokens: 0,
    });
    expect(tokensFromUsage(openAiUsage(tokens))).toEqual({
      inputTokens: 130,
      cachedInputTokens: 100,
      outputTokens: 5,
      reasoningTokens: 0,
    });
  });

  it('maps stop reasons to finish reasons', () => {
    const finish = (stop_reason: string) => chatCompletion({ ...reply, stop_reason }, 0).choices[0].finish_reason;
    expect(['end_turn', 'stop_sequence', 'max_tokens', 'tool_use', 'refusal'].map(finish)).toEqual([
      'stop',
      'stop',
      'length',
      'tool_calls',
      'content_filter',
    ]);
  });

  it('turns tool_use blocks into tool_calls, with null content when there is no text', () => {
    const c = chatCompletion(
      {
        ...reply,
        stop_reason: 'tool_use',
        content: [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } }],
      },
      0,
    );
    expect(c.choices[0].message).toEqual({
      role: 'assistant',
      content: null,
      refusal: null,
      tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
    });
    expect(c.choices[0].finish_reason).toBe('tool_calls');
  });
});

describe('Anthropic errors as OpenAI errors', () => {
  const error = (status: number, type: string) => {
    const res = asOpenAi(
      {
        status,
        contentType: 'application/json',
        body: [Buffer.from(JSON.stringify({ type: 'error', error: { type, message: `${type} happened` } }))],
        abort: () => {},
      },
      0,
    );
    return { res, bytes: async () => Buffer.concat(await collect(res.body)) };
  };

  it('keeps a 429 a 429 and makes Anthropic’s 529 overloaded a 503, so SDKs retry', async () => {
    const limited = error(429, 'rate_limit_error');
    expect(upstreamError(limited.res.status, await limited.bytes())).toMatchObject({
      status: 429,
      code: 'rate_limit_exceeded',
      message: 'rate_limit_error happened',
    });
    const overloaded = error(529, 'overloaded_error');
    expect(upstreamError(overloaded.res.status, await overloaded.bytes())).toMatchObject({
      status: 503,
      type: 'service_unavailable_error',
      code: 'server_is_overloaded',
    });
  });

  it('treats a 401 as a rejected provider key and passes a 400 through', async () => {
    const denied = error(401, 'authentication_error');
    expect(upstreamError(denied.res.status, await denied.bytes())).toMatchObject({
      status: 502,
      code: 'upstream_auth_error',
    });
    const bad = error(400, 'invalid_request_error');
    expect(upstreamError(bad.res.status, await bad.bytes())).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      message: 'invalid_request_error happened',
    });
  });

  it('makes a body that is not Anthropic’s error shape a 502', async () => {
    expect(openAiErrorBody('<html>bad gateway</html>')).toBeNull();
    const res = asOpenAi(
      { status: 502, contentType: 'text/html', body: [Buffer.from('<html></html>')], abort: () => {} },
      0,
    );
    expect(upstreamError(res.status, Buffer.concat(await collect(res.body)))).toMatchObject({
      status: 502,
      code: 'upstream_error',
    });
  });
});

async function collect(body: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const b of body) out.push(b);
  return out;
}
