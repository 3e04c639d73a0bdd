import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { generateVirtualKey } from '@sluice/contracts';
import { rawPost, startHarness, type Harness } from '../../test/harness';

jest.setTimeout(60_000);

/** A span name is a series in every trace backend: a caller who is nobody must not be able to mint one. */
describe('the call span of a caller the gateway has not authorized (real NATS)', () => {
  const exporter = new InMemorySpanExporter();
  let h: Harness;
  beforeAll(async () => {
    new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  const post = (model: string, key: string, requestId: string) =>
    rawPost(h, '/chat/completions', JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello' }] }), {
      authorization: `Bearer ${key}`,
      'x-request-id': requestId,
    });
  const spanOf = (requestId: string) =>
    exporter.getFinishedSpans().find((s) => s.attributes['sluice.request_id'] === requestId);

  it.each([
    ['a well-formed key nobody issued', generateVirtualKey(), 401],
    ['a valid key naming a model the catalog does not have', null, 404],
  ])('names the span by operation only and records none of the model string from %s', async (_who, key, status) => {
    const model = `mint-a-series-${Math.random().toString(36).slice(2)}-${'x'.repeat(200)}`;
    const requestId = `span-${status}`;
    expect((await post(model, key ?? h.key, requestId)).status).toBe(status);
    const span = spanOf(requestId);
    expect(span?.name).toBe('chat');
    expect(JSON.stringify(span?.attributes)).not.toContain('mint-a-series');
  });

  it('gives an authorized call the catalog model as its request model', async () => {
    expect((await post('gpt-test', h.key, 'span-ok')).status).toBe(200);
    expect(spanOf('span-ok')).toMatchObject({
      name: 'chat',
      attributes: expect.objectContaining({ 'gen_ai.request.model': 'gpt-test', 'gen_ai.operation.name': 'chat' }),
    });
  });
});
