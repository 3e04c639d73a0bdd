import { DEFAULT_IMAGE_TOKENS, type AuthorizeReply, type CallEstimate, type SluiceEvent } from '@sluice/contracts';
import { catalog, given, keyCreated } from '../../test/given';

/** $1 per million input tokens, $2 per million output tokens, at most 1,000 output tokens. */
const capped = (name: string, upstreamModel: string, maxOutputTokens: number | null): SluiceEvent => ({
  type: 'ModelAdded',
  data: {
    name,
    providerId: 'prov_1',
    upstreamModel,
    inputUsdPerMTok: 1,
    outputUsdPerMTok: 2,
    cachedInputUsdPerMTok: null,
    maxOutputTokens,
    createdAt: '2026-11-01T00:00:00Z',
  },
});
const models = [...catalog, capped('capped', 'gpt-4o-2024-08-06', 1000), capped('uncapped', 'local-llama', null)];
const budget = { maxUsd: 100, period: null, alertThresholds: [], webhookUrlHint: null };
const givenBudget = () => given(keyCreated({ budget }), ...models);
const givenTpm = (tokensPerMinute: number) => given(keyCreated({ rateLimits: { tokensPerMinute } }), ...models);

const estimate = (over: Partial<CallEstimate> = {}): CallEstimate => ({
  inputTokens: 100,
  maxOutputTokens: null,
  ...over,
});
const reservedNanos = (reply: AuthorizeReply) => (reply.allow ? reply.limits?.reservedNanos : undefined);
const worstCase = (reply: AuthorizeReply) => (reply.allow ? reply.limits?.reservation?.worstCase : undefined);

describe('the worst case a budget reserves', () => {
  it('multiplies the output cap by n: every choice is generated and billed', () => {
    // Given a model capped at 1,000 output tokens, when a call asks for 8 choices and sets no max_tokens
    const reply = givenBudget().when({ callId: 'a', model: 'capped', estimate: estimate({ choices: 8 }) });
    // then 8,000 output tokens are reserved, not 1,000
    expect(worstCase(reply)).toEqual({ inputTokens: 100, outputTokens: 8000 });
    expect(reservedNanos(reply)).toBe((100 * 1 + 8000 * 2) * 1000);
  });

  it('reserves the prompt’s bound, not its four-characters-a-token estimate', () => {
    // Given a prompt estimated at 100 tokens whose bytes could tokenize to 400
    const reply = givenBudget().when({
      callId: 'a',
      model: 'capped',
      estimate: estimate({ inputTokensBound: 400, maxOutputTokens: 10 }),
    });
    // then the reservation covers 400 input tokens
    expect(worstCase(reply)).toEqual({ inputTokens: 400, outputTokens: 10 });
  });

  it('prices images by the upstream model’s rule: sized at their tiles, unsized at the most an image can cost', () => {
    const images = { low: 1, sized: 1, tiles: 4, unsized: 1 };
    // Given gpt-4o's rule (85 per image, 170 per 512 px tile, at most 8 tiles)
    const tile = givenBudget().when({
      callId: 'a',
      model: 'capped',
      estimate: estimate({ images, maxOutputTokens: 10 }),
    });
    expect(worstCase(tile)?.inputTokens).toBe(100 + 85 + (85 + 4 * 170) + (85 + 8 * 170));
    // and a model with no documented rule, at Sluice's stated bound per image
    const other = givenBudget().when({
      callId: 'b',
      model: 'uncapped',
      estimate: estimate({ images, maxOutputTokens: 10 }),
    });
    expect(worstCase(other)?.inputTokens).toBe(100 + 3 * DEFAULT_IMAGE_TOKENS);
  });

  it('adds a prediction’s bound to the output of every choice: rejected predicted tokens are billed as output', () => {
    const reply = givenBudget().when({
      callId: 'a',
      model: 'capped',
      estimate: estimate({ maxOutputTokens: 100, predictedOutputTokens: 5000, choices: 2 }),
    });
    expect(worstCase(reply)).toEqual({ inputTokens: 100, outputTokens: (100 + 5000) * 2 });
    expect(reservedNanos(reply)).toBe((100 * 1 + 10_200 * 2) * 1000);
  });

  it('believes a large max_tokens on a model without a catalog cap: the upstream is given it', () => {
    const reply = givenBudget().when({
      callId: 'a',
      model: 'uncapped',
      estimate: estimate({ maxOutputTokens: 50_000 }),
    });
    expect(worstCase(reply)?.outputTokens).toBe(50_000);
  });
});

describe('the output cap policy answers with', () => {
  it('refuses a max_tokens above the model’s maxOutputTokens with OpenAI’s 400, whether or not the key has limits', () => {
    for (const g of [given(keyCreated(), ...models), givenBudget()]) {
      const reply = g.when({ callId: 'a', model: 'capped', estimate: estimate({ maxOutputTokens: 4000 }) });
      expect(reply).toMatchObject({
        allow: false,
        error: {
          status: 400,
          type: 'invalid_request_error',
          param: 'max_tokens',
          message:
            'max_tokens is too large: 4000. This model supports at most 1000 completion tokens, whereas you provided 4000.',
        },
      });
    }
  });

  it('routes the reserved cap back, so the gateway can send it upstream when the client set none', () => {
    const route = (reply: AuthorizeReply) => (reply.allow ? reply.route.outputCap : undefined);
    const g = given(keyCreated(), ...models);
    expect(route(g.when({ model: 'capped', estimate: estimate() }))).toBe(1000);
    expect(route(g.when({ model: 'capped', estimate: estimate({ maxOutputTokens: 300 }) }))).toBe(300);
    expect(route(g.when({ model: 'uncapped', estimate: estimate() }))).toBe(4096);
    expect(route(g.when({ model: 'capped', operation: 'embeddings', estimate: estimate() }))).toBe(0);
  });
});

describe('tokens per minute on the worst case', () => {
  it('counts the whole output cap of every choice at admission when the call sets no max_tokens', () => {
    // Given 10,000 tokens a minute and a model capped at 1,000 output tokens
    const g = givenTpm(10_000);
    // when calls of a 100-token prompt and no max_tokens arrive together
    const codes = Array.from({ length: 12 }, (_, i) =>
      g.when({ callId: `c${i}`, model: 'capped', estimate: estimate() }),
    ).map((r) => (r.allow ? 'allowed' : r.error.code));
    // then only as many as fit 1,100 tokens each are admitted
    expect(codes.filter((c) => c === 'allowed')).toHaveLength(9);
    expect(g.limiter.counters('key_1').window('tokensPerMinute').used(Date.parse('2026-11-24T12:00:00Z'))).toBe(
      9 * 1100,
    );
  });

  it('counts n choices, and refuses as too large a call whose own worst case exceeds the limit', () => {
    const reply = givenTpm(5000).when({ callId: 'a', model: 'capped', estimate: estimate({ choices: 8 }) });
    expect(reply).toMatchObject({ allow: false, error: { code: 'rate_limit_exceeded', type: 'tokens' } });
    expect(!reply.allow && reply.error.message).toContain('8100');
  });
});
