import { DIALECT_PATHS, dialectHeaders, errorOf, expectedError, type DialectPath } from '../../test/dialect-calls';
import { KEY_ID, type Harness } from '../../test/harness';
import { withHostileUpstream } from '../../test/hostile-harness';
import type { HostileUpstream } from '../../test/hostile-upstream';
import { waitFor } from '@sluice/testing';

jest.setTimeout(60_000);

const responsesPath = DIALECT_PATHS.find((d) => d.prefix === 'rnat')!;
const messagesPath = DIALECT_PATHS.find((d) => d.prefix === 'mnat')!;

/** The endpoints that forward to the upstream without making a call: [name, method, path, body, error shape]. */
const FORWARDED: [string, string, (m: string) => string, ((m: string) => unknown) | null, DialectPath][] = [
  ['GET /v1/responses/{id}', 'GET', (m) => `/responses/resp_${m}`, null, responsesPath],
  ['DELETE /v1/responses/{id}', 'DELETE', (m) => `/responses/resp_${m}`, null, responsesPath],
  ['POST /v1/responses/{id}/cancel', 'POST', (m) => `/responses/resp_${m}/cancel`, null, responsesPath],
  ['GET /v1/responses/{id}/input_items', 'GET', (m) => `/responses/resp_${m}/input_items`, null, responsesPath],
  [
    'POST /v1/responses/input_tokens',
    'POST',
    () => '/responses/input_tokens',
    (m) => ({ model: `rnat-${m}`, input: 'Hello' }),
    responsesPath,
  ],
  [
    'POST /v1/messages/count_tokens',
    'POST',
    () => '/messages/count_tokens',
    (m) => ({ model: `mnat-${m}`, messages: [{ role: 'user', content: 'Hello' }] }),
    messagesPath,
  ],
];

describe('the endpoints forwarded to a provider outside a call hold a call’s deadlines (real NATS, hostile upstream)', () => {
  let h: Harness;
  let hostile: HostileUpstream;

  beforeAll(async () => {
    [h, hostile] = await withHostileUpstream({ maxCallMs: 1500, maxStreamMs: 1500 });
    // Native responses of the key, kept by the hostile upstream, which answers each by the model in its id.
    for (const model of ['held', 'drip', 'stall-stream'])
      h.storedResponses.set(`resp_${model}`, {
        responseId: `resp_${model}`,
        keyId: KEY_ID,
        callId: `call-${model}`,
        model: `rnat-${model}`,
        route: {
          providerId: 'prov-hostile-oai',
          providerType: 'openai-compatible',
          baseUrl: hostile.url,
          upstreamModel: model,
        },
        mode: 'native',
        previousResponseId: null,
        createdAt: new Date().toISOString(),
      });
  });
  afterAll(async () => {
    await h?.stop();
    await hostile?.close();
  });

  describe.each(FORWARDED)('%s', (_name, method, path, body, d) => {
    it.each([
      ['never answers', 'held'],
      ['answers its headers and then stalls', 'drip'],
    ])('answers 504 in its own shape when the upstream %s, and lets the upstream go', async (_what, model) => {
      const before = hostile.hungUp();
      const res = await fetch(`${h.gateway.url}${path(model)}`, {
        method,
        headers: dialectHeaders(h, `forwarded-${model}`),
        ...(body ? { body: JSON.stringify(body(model)) } : {}),
        signal: AbortSignal.timeout(15_000),
      });
      expect(errorOf(d, res.status, await res.json())).toEqual(expectedError(d, 504));
      await waitFor(() => hostile.hungUp() > before, { description: 'the upstream connection to be closed' });
    });
  });

  it('ends a response streamed again (stream=true) at the stream deadline when its upstream stalls, with an error event', async () => {
    const before = hostile.hungUp();
    const res = await fetch(`${h.gateway.url}/responses/resp_stall-stream?stream=true`, {
      headers: dialectHeaders(h, 'forwarded-stall-stream'),
      signal: AbortSignal.timeout(15_000),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('hello');
    const last = text.trim().split('\n\n').at(-1)!;
    expect(last).toMatch(/^event: error\n/);
    expect(JSON.parse(last.split('data: ')[1])).toMatchObject({ type: 'error', code: 'upstream_error' });
    await waitFor(() => hostile.hungUp() > before, { description: 'the upstream stream to be closed' });
  });
});
