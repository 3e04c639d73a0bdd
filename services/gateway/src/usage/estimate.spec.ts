import { chatPromptTokens, mockChatCompletion, mockEmbeddings } from '@sluice/mock-llm';
import { callEstimate, estimatePromptTokens, settleTokens } from './estimate';
import { tokensFromUsage } from './token-counts';
import { generatedCharsOfJson, usageFromJson } from './usage-from-json';

const chat = { model: 'm', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: [{ type: 'text', text: 'Hello there' }] }] };

describe('estimates', () => {
  it('estimates chat prompts at ~4 chars a token plus the per-message overhead', () => {
    expect(estimatePromptTokens('chat', chat)).toBe(chatPromptTokens(chat.messages));
    expect(estimatePromptTokens('completions', { prompt: 'abcdefgh' })).toBe(2);
    expect(estimatePromptTokens('embeddings', { input: ['abcd', 'ef'] })).toBe(2);
    expect(estimatePromptTokens('embeddings', { input: [1, 2, 3] })).toBe(3);
  });

  it('uses reported usage when there is some, else estimates and says so', () => {
    const reported = { inputTokens: 10, cachedInputTokens: 2, outputTokens: 5, reasoningTokens: 1 };
    expect(settleTokens('chat', chat, reported, 40)).toEqual({ tokens: reported, estimated: false });
    expect(settleTokens('chat', chat, null, 41)).toEqual({
      tokens: { inputTokens: chatPromptTokens(chat.messages), cachedInputTokens: 0, outputTokens: 11, reasoningTokens: 0 },
      estimated: true,
    });
  });

  it('never bills zero output for a reply that produced content', () => {
    const zero = { inputTokens: 10, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 };
    expect(settleTokens('chat', chat, zero, 8)).toEqual({ tokens: { ...zero, outputTokens: 2 }, estimated: true });
    expect(settleTokens('embeddings', { input: 'x' }, zero, 0)).toEqual({ tokens: zero, estimated: false });
  });
});

describe('the estimate sent to authorize', () => {
  it('names the choices the upstream bills: n for chat, best_of (at least n) for completions, one for embeddings', () => {
    expect(callEstimate('chat', { ...chat, n: 8 })).toMatchObject({ choices: 8, maxOutputTokens: null });
    expect(callEstimate('chat', { ...chat, max_completion_tokens: 50, max_tokens: 70 })).toMatchObject({ choices: 1, maxOutputTokens: 50 });
    expect(callEstimate('completions', { prompt: 'p', n: 2, best_of: 5 })).toMatchObject({ choices: 5 });
    expect(callEstimate('completions', { prompt: 'p', n: 3 })).toMatchObject({ choices: 3 });
    expect(callEstimate('embeddings', { input: 'x', n: 9 })).toMatchObject({ choices: 1 });
  });

  it('carries the prompt’s bound beside its estimate, and its images only when it has some', () => {
    const plain = callEstimate('chat', chat);
    expect(plain.inputTokensBound).toBeGreaterThan(plain.inputTokens);
    expect(plain.images).toBeUndefined();
    const image = callEstimate('chat', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] });
    expect(image.images).toEqual({ low: 0, sized: 0, tiles: 0, unsized: 1 });
  });
});

describe('usage in JSON replies', () => {
  it('reads every token kind from a chat completion without a full parse', () => {
    const completion = mockChatCompletion({ ...chat, model: 'o3-mini', messages: [{ role: 'user', content: 'x'.repeat(5000) }], prompt_cache_key: 'k' });
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
    const tricky = { choices: [{ message: { content: 'the "usage": {"prompt_tokens": 999} field' } }], usage: { prompt_tokens: 4, completion_tokens: 2 } };
    expect(usageFromJson(Buffer.from(JSON.stringify(tricky)))).toEqual(tricky.usage);
    expect(usageFromJson(Buffer.from(JSON.stringify(tricky, null, 2)))).toEqual(tricky.usage);
    const noUsage = { choices: [{ message: { content: 'no "usage" here' } }] };
    expect(usageFromJson(Buffer.from(JSON.stringify(noUsage)))).toBeUndefined();
  });

  it('reads embeddings usage (no completion tokens) and counts generated text for estimates', () => {
    const embeddings = mockEmbeddings({ model: 'e', input: ['abcd', 'efgh'] });
    expect(tokensFromUsage(usageFromJson(Buffer.from(JSON.stringify(embeddings))))).toEqual({ inputTokens: 2, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 });
    const completion = mockChatCompletion(chat);
    expect(generatedCharsOfJson(Buffer.from(JSON.stringify(completion)))).toBe(completion.choices[0].message.content.length);
  });
});
