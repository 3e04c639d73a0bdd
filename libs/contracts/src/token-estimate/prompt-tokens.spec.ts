import { promptTokens } from './prompt-tokens';

describe('the prompt of a completions or embeddings call', () => {
  it('bounds the completions prompt and embeddings input by bytes, token arrays by their length', () => {
    expect(promptTokens('completions', { prompt: 'é'.repeat(100), suffix: 'abcd' }).bound).toBeGreaterThanOrEqual(204);
    expect(
      promptTokens('embeddings', {
        input: [
          [1, 2, 3],
          [4, 5],
        ],
      }).bound,
    ).toBe(5);
    expect(promptTokens('embeddings', { input: ['abcd', 'efgh'] })).toMatchObject({ estimate: 2, images: null });
  });
});
