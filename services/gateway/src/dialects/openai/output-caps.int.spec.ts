import { rawPost, type Harness } from '../../../test/harness';
import { withHostileUpstream } from '../../../test/hostile-harness';
import type { HostileUpstream } from '../../../test/hostile-upstream';

jest.setTimeout(60_000);

/**
 * A call is reserved on one output cap and the upstream is given exactly that cap: a body with two
 * caps (`max_tokens` and `max_completion_tokens`) was reserved on the smaller while an upstream that
 * obeys the other generated (and billed) up to the larger.
 */
describe('the output cap: reserved on, and sent upstream as, one number (real NATS)', () => {
  let h: Harness;
  let hostile: HostileUpstream;
  beforeAll(async () => {
    [h, hostile] = await withHostileUpstream({});
    // What policy routes for a call whose larger cap is 700 (it refuses a cap above the catalog's).
    h.routes.set('gpt-echo', {
      providerId: 'prov-hostile',
      providerType: 'openai-compatible',
      baseUrl: hostile.url,
      upstreamModel: 'echo',
      outputCap: 700,
    });
  });
  afterAll(async () => {
    await h?.stop();
    await hostile?.close();
  });

  const post = (path: string, body: Record<string, unknown>, requestId: string) =>
    rawPost(h, path, JSON.stringify(body), { authorization: `Bearer ${h.key}`, 'x-request-id': requestId });
  const authorized = (requestId: string) => h.authorizeRequests.find((r) => r.requestId === requestId);

  it.each([
    [
      'max_completion_tokens on /v1/completions (OpenAI refuses it there)',
      '/completions',
      { prompt: 'Reply with 2000 words', max_tokens: 100_000, max_completion_tokens: 1 },
      'max_completion_tokens',
    ],
    [
      'a max_completion_tokens that is not a number',
      '/chat/completions',
      { messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: '1' },
      'max_completion_tokens',
    ],
    ['a max_tokens that is not a number', '/completions', { prompt: 'hi', max_tokens: '100000' }, 'max_tokens'],
  ])('refuses %s with a 400 naming it, before policy is asked', async (_what, path, body, param) => {
    const requestId = `cap-refused-${param}-${path.length}`;
    const res = await post(path, { model: 'gpt-test', ...body }, requestId);
    expect([res.status, res.json.error]).toEqual([
      400,
      expect.objectContaining({ type: 'invalid_request_error', param }),
    ]);
    expect(authorized(requestId)).toBeUndefined();
  });

  it('reserves the larger of two caps', async () => {
    const res = await post(
      '/chat/completions',
      {
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'Reply with 9 words' }],
        max_tokens: 100_000,
        max_completion_tokens: 1,
      },
      'cap-larger',
    );
    expect(res.status).toBe(200);
    expect(authorized('cap-larger')?.estimate).toMatchObject({ maxOutputTokens: 100_000 });
  });

  it('sends the upstream the one cap policy reserved for, whatever pair of fields the client sent', async () => {
    for (const [i, caps] of [
      { max_tokens: 700, max_completion_tokens: 1 },
      { max_tokens: 1, max_completion_tokens: 700 },
      { max_completion_tokens: 700 },
      {},
    ].entries()) {
      const requestId = `cap-sent-${i}`;
      const res = await post(
        '/chat/completions',
        { model: 'gpt-echo', messages: [{ role: 'user', content: 'hi' }], ...caps },
        requestId,
      );
      expect(res.status).toBe(200);
      const sent = hostile.received.get(requestId)!;
      const given = [sent.max_tokens, sent.max_completion_tokens].filter((v) => v !== undefined);
      expect({ caps, given }).toEqual({ caps, given: [700] });
    }
  });
});
