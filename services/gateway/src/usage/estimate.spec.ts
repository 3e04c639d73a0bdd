import { estimatePromptTokens, type Route } from '@sluice/contracts';
import { chatPromptTokens, mockChatChunks, mockChatCompletion, mockEmbeddings, realTokens } from '@sluice/mock-llm';
import { GeneratedText } from './generated-text';
import { callEstimate, settleTokens } from './estimate';
import { NOTHING_GENERATED } from './generated-output';
import { tokensFromUsage } from './token-counts';
import { generatedOfJson, usageFromJson } from './usage-from-json';

const chat = {
  model: 'm',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'Hello there' }] },
  ],
};
const route = (upstreamModel: string, outputCap = 1000): Route => ({
  providerId: 'p',
  providerType: 'openai-compatible',
  baseUrl: null,
  upstreamModel,
  outputCap,
});
const on = (upstreamModel: string) => ({ op: 'chat' as const, route: route(upstreamModel) });
/** What the gateway saw of a streamed reply, fed through the SSE bytes as the relay feeds them. */
const streamed = (chunks: unknown[]) => {
  const text = new GeneratedText();
  text.scan(Buffer.from(chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')));
  return text;
};
const o200k = realTokens();
const numbers = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Reply with 60 numbers' }] };

describe('estimates', () => {
  it('estimates chat prompts at ~4 chars a token plus the per-message overhead', () => {
    expect(estimatePromptTokens('chat', chat)).toBe(chatPromptTokens(chat.messages));
    expect(estimatePromptTokens('completions', { prompt: 'abcdefgh' })).toBe(2);
    expect(estimatePromptTokens('embeddings', { input: ['abcd', 'ef'] })).toBe(2);
    expect(estimatePromptTokens('embeddings', { input: [1, 2, 3] })).toBe(3);
  });

  it('uses reported usage when there is some', () => {
    const reported = { inputTokens: 10, cachedInputTokens: 2, outputTokens: 5, reasoningTokens: 1 };
    expect(settleTokens(on('x'), chat, reported, streamed([{ choices: [{ delta: { content: 'abc' } }] }]))).toEqual({
      tokens: reported,
      estimated: false,
    });
    const zero = { inputTokens: 10, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 };
    expect(settleTokens({ op: 'embeddings', route: route('x') }, { input: 'x' }, zero, NOTHING_GENERATED)).toEqual({
      tokens: zero,
      estimated: false,
    });
  });
});

describe('usage the upstream did not report: never below its invoice', () => {
  it('given a known family (o200k), when a JSON reply comes without usage, then its tokenizer counts the output exactly', () => {
    const reply = mockChatCompletion(numbers, { tokens: o200k });
    const settled = settleTokens(on('gpt-4o'), numbers, null, generatedOfJson(Buffer.from(JSON.stringify(reply))));
    expect(settled.estimated).toBe(true);
    expect(settled.tokens.outputTokens).toBe(reply.usage.completion_tokens);
    // four characters a token would have billed far less
    expect(Math.ceil(reply.choices[0].message.content!.length / 4)).toBeLessThan(reply.usage.completion_tokens);
  });

  it('given a stream of one token per chunk, then the pieces are a floor, whatever the tokenizer', () => {
    const chunks = mockChatChunks(numbers, { tokens: o200k });
    const billed = mockChatCompletion(numbers, { tokens: o200k }).usage.completion_tokens;
    expect(settleTokens(on('gpt-4o'), numbers, null, streamed(chunks)).tokens.outputTokens).toBeGreaterThanOrEqual(
      billed,
    );
    expect(
      settleTokens(on('my-local-model'), numbers, null, streamed(chunks)).tokens.outputTokens,
    ).toBeGreaterThanOrEqual(billed);
    // a stream cut after 10 pieces: at least those 10
    expect(
      settleTokens(on('gpt-4o'), numbers, null, streamed(chunks.slice(0, 11))).tokens.outputTokens,
    ).toBeGreaterThanOrEqual(10);
  });

  it('given an unknown family, then output is one token per UTF-8 byte of what was generated', () => {
    const text = '漢字とカタカナ 🙂';
    const settled = settleTokens(
      on('my-local-model'),
      chat,
      null,
      generatedOfJson(Buffer.from(JSON.stringify({ choices: [{ message: { content: text } }] }))),
    );
    expect(settled.tokens.outputTokens).toBe(Buffer.byteLength(text));
    expect(streamed([{ choices: [{ delta: { content: text } }] }]).bytes).toBeGreaterThanOrEqual(
      Buffer.byteLength(text),
    );
  });

  it('given a reasoning model, then the hidden reasoning is billed at the whole output cap of every choice', () => {
    const settled = settleTokens(
      on('o3-mini'),
      { ...chat, n: 2 },
      null,
      streamed([{ choices: [{ delta: { content: 'ok' } }] }]),
    );
    expect(settled.tokens.outputTokens).toBe(2000);
  });

  it('given a prediction and no usage, then its rejected tokens (not in the text) are billed as output of every choice', () => {
    const prediction = { type: 'content', content: 'let x = 1;\n'.repeat(100) };
    const settled = settleTokens(
      on('my-local-model'),
      { ...chat, n: 2, prediction },
      null,
      streamed([{ choices: [{ delta: { content: 'ok' } }] }]),
    );
    expect(settled).toEqual({
      tokens: expect.objectContaining({ outputTokens: 2 + 2 * Buffer.byteLength(prediction.content) }),
      estimated: true,
    });
  });

  it('given no usage, then the input is the tokenizer’s count (known family) or the prompt’s byte bound, never less than the provider’s', () => {
    const tools = [
      { type: 'function', function: { name: 'f', description: 'd'.repeat(2000), parameters: { type: 'object' } } },
    ];
    const body = { ...numbers, tools };
    const invoiced = mockChatCompletion(body, { tokens: o200k }).usage.prompt_tokens;
    expect(settleTokens(on('gpt-4o'), body, null, NOTHING_GENERATED).tokens.inputTokens).toBeGreaterThanOrEqual(
      invoiced,
    );
    expect(settleTokens(on('my-local-model'), body, null, NOTHING_GENERATED).tokens.inputTokens).toBeGreaterThanOrEqual(
      callEstimate('chat', body).inputTokensBound!,
    );
  });

  it('never bills zero output for a reply that produced content', () => {
    const zero = { inputTokens: 10, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 };
    expect(settleTokens(on('x'), chat, zero, streamed([{ choices: [{ delta: { content: 'abcdefgh' } }] }]))).toEqual({
      tokens: { ...zero, outputTokens: 8 },
      estimated: true,
    });
  });
});

describe('the estimate sent to authorize', () => {
  it('names the choices the upstream bills: n for chat, best_of (at least n) for completions, one for embeddings', () => {
    expect(callEstimate('chat', { ...chat, n: 8 })).toMatchObject({ choices: 8, maxOutputTokens: null });
    expect(callEstimate('chat', { ...chat, max_completion_tokens: 50, max_tokens: 70 })).toMatchObject({
      choices: 1,
      maxOutputTokens: 70,
    });
    expect(callEstimate('completions', { prompt: 'p', n: 2, best_of: 5 })).toMatchObject({ choices: 5 });
    expect(callEstimate('completions', { prompt: 'p', n: 3 })).toMatchObject({ choices: 3 });
    expect(callEstimate('embeddings', { input: 'x', n: 9 })).toMatchObject({ choices: 1 });
  });

  it('carries the prompt’s bound beside its estimate, and its images only when it has some', () => {
    const plain = callEstimate('chat', chat);
    expect(plain.inputTokensBound).toBeGreaterThan(plain.inputTokens);
    expect(plain.images).toBeUndefined();
    const image = callEstimate('chat', {
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }],
    });
    expect(image.images).toEqual({ low: 0, sized: 0, tiles: 0, unsized: 1 });
  });
});

describe('usage in JSON replies', () => {
  it('reads every token kind from a chat completion without a full parse', () => {
    const completion = mockChatCompletion({
      ...chat,
      model: 'o3-mini',
      messages: [{ role: 'user', content: 'x'.repeat(5000) }],
      prompt_cache_key: 'k',
    });
    const bytes = Buffer.from(JSON.stringify(completion));
    expect(tokensFromUsage(usageFromJson(bytes))).toEqual({
      inputTokens: completion.usage.prompt_tokens,
      cachedInputTokens: completion.usage.prompt_tokens_details!.cached_tokens,
      outputTokens: completion.usage.completion_tokens,
      reasoningTokens: completion.usage.completion_tokens_details!.reasoning_tokens,
    });
    expect(completion.usage.prompt_tokens_details!.cached_tokens).toBeGreaterThan(0);
  });

  it('is not fooled by "usage" inside generated text, and handles pretty-printed JSON', () => {
    const tricky = {
      choices: [{ message: { content: 'the "usage": {"prompt_tokens": 999} field' } }],
      usage: { prompt_tokens: 4, completion_tokens: 2 },
    };
    expect(usageFromJson(Buffer.from(JSON.stringify(tricky)))).toEqual(tricky.usage);
    expect(usageFromJson(Buffer.from(JSON.stringify(tricky, null, 2)))).toEqual(tricky.usage);
    const noUsage = { choices: [{ message: { content: 'no "usage" here' } }] };
    expect(usageFromJson(Buffer.from(JSON.stringify(noUsage)))).toBeUndefined();
  });

  it('reads embeddings usage (no completion tokens) and counts generated text for estimates', () => {
    const embeddings = mockEmbeddings({ model: 'e', input: ['abcd', 'efgh'] });
    expect(tokensFromUsage(usageFromJson(Buffer.from(JSON.stringify(embeddings))))).toEqual({
      inputTokens: 2,
      cachedInputTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
    });
    const completion = mockChatCompletion(chat);
    expect(generatedOfJson(Buffer.from(JSON.stringify(completion)))).toMatchObject({
      chars: completion.choices[0].message.content!.length,
      texts: expect.any(Function),
    });
  });
});
