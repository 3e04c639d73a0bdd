import { rawPost, startHarness, type Harness } from '../../../test/harness';

jest.setTimeout(60_000);

/** Caller parameters that change what the provider invoices for the same tokens. */
describe('parameters that change the invoice (real NATS)', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness()));
  afterAll(() => h?.stop());

  const messages = [{ role: 'user', content: 'Hello' }];
  const post = (body: Record<string, unknown>, requestId: string, path = '/chat/completions') =>
    rawPost(h, path, JSON.stringify({ model: 'gpt-test', ...body }), {
      authorization: `Bearer ${h.key}`,
      'x-request-id': requestId,
    });
  const authorized = (requestId: string) => h.authorizeRequests.find((r) => r.requestId === requestId);

  it.each([
    [
      'a priority service tier (billed ~2×)',
      { messages, service_tier: 'priority' },
      'service_tier',
      '/chat/completions',
    ],
    ['a flex service tier', { messages, service_tier: 'flex' }, 'service_tier', '/chat/completions'],
    ['a scale service tier on completions', { prompt: 'hi', service_tier: 'scale' }, 'service_tier', '/completions'],
    ['a priority service tier on embeddings', { input: 'hi', service_tier: 'priority' }, 'service_tier', '/embeddings'],
    ['audio output through modalities', { messages, modalities: ['text', 'audio'] }, 'modalities', '/chat/completions'],
    ['audio output parameters', { messages, audio: { voice: 'alloy', format: 'wav' } }, 'audio', '/chat/completions'],
  ])('refuses %s with a 400 naming it, before policy is asked', async (_what, body, param, path) => {
    const requestId = `billing-${param}-${path}-${JSON.stringify(body).length}`;
    const res = await post(body, requestId, path);
    expect([res.status, res.json.error]).toEqual([
      400,
      expect.objectContaining({
        type: 'invalid_request_error',
        param,
        code: expect.any(String),
        message: expect.stringContaining(param),
      }),
    ]);
    expect(authorized(requestId)).toBeUndefined();
  });

  it('serves the standard tiers and text output as before', async () => {
    for (const [i, extra] of [
      { service_tier: 'auto' },
      { service_tier: 'default' },
      { modalities: ['text'] },
    ].entries()) {
      expect((await post({ messages, ...extra }, `billing-ok-${i}`)).status).toBe(200);
    }
  });

  it('reserves a prediction’s bytes as output beyond the cap (its rejected tokens are billed as output)', async () => {
    const content = 'const answer = 42; // ünïcode\n'.repeat(200);
    expect(
      (await post({ messages, max_tokens: 50, prediction: { type: 'content', content } }, 'billing-prediction')).status,
    ).toBe(200);
    expect(authorized('billing-prediction')?.estimate).toMatchObject({
      maxOutputTokens: 50,
      predictedOutputTokens: Buffer.byteLength(content),
    });
    expect(
      (
        await post(
          { messages, prediction: { type: 'content', content: [{ type: 'text', text: content }] } },
          'billing-prediction-parts',
        )
      ).status,
    ).toBe(200);
    expect(authorized('billing-prediction-parts')?.estimate?.predictedOutputTokens).toBe(Buffer.byteLength(content));
  });
});
