import { costNanosOf, modelPrice } from '@sluice/contracts';
import { tokensFromResponsesUsage, tokensFromUsage } from './token-counts';

/** $1 input, $0.10 cache read, $1.25 cache write, $5 output per million tokens. */
const HAIKU = modelPrice({
  inputUsdPerMTok: 1,
  cachedInputUsdPerMTok: 0.1,
  cacheWriteUsdPerMTok: 1.25,
  outputUsdPerMTok: 5,
});

describe('the tokens an OpenAI-shaped usage object bills', () => {
  it.each([
    [
      'an OpenAI-compatible upstream reports in prompt_tokens_details (OpenRouter on Anthropic)',
      tokensFromUsage({
        prompt_tokens: 194,
        completion_tokens: 2,
        prompt_tokens_details: { cached_tokens: 10, cache_write_tokens: 100 },
      }),
    ],
    [
      'a Responses upstream reports in input_tokens_details',
      tokensFromResponsesUsage({
        input_tokens: 194,
        input_tokens_details: { cached_tokens: 10, cache_write_tokens: 100 },
        output_tokens: 2,
        output_tokens_details: { reasoning_tokens: 0 },
      }),
    ],
  ])('bills the cache writes %s at the cache-write price', (_what, tokens) => {
    expect(tokens).toEqual({
      inputTokens: 194,
      cachedInputTokens: 10,
      cacheWriteInputTokens: 100,
      outputTokens: 2,
      reasoningTokens: 0,
    });
    expect(costNanosOf(tokens!, HAIKU)).toBe(84 * 1000 + 10 * 100 + 100 * 1250 + 2 * 5000);
  });

  it('reads no cache writes where none are reported (OpenAI)', () => {
    expect(
      tokensFromUsage({ prompt_tokens: 5, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 0 } }),
    ).toEqual({
      inputTokens: 5,
      cachedInputTokens: 0,
      outputTokens: 1,
      reasoningTokens: 0,
    });
  });
});
