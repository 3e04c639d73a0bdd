import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { UsageMessage } from '@sluice/contracts';
import { endCallSpan, startCallSpan } from './call-span';

describe('the gateway call span', () => {
  const exporter = new InMemorySpanExporter();
  beforeAll(() => new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register());

  it('continues the caller trace, follows the GenAI conventions and propagates a traceparent to policy', () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const { span, traceparent } = startCallSpan('chat', 'gpt-4o', 'req-1', incoming);
    expect(traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    const usage = { keyId: 'key_1', providerId: 'prov_1', upstreamModel: 'gpt-4o-2024', inputTokens: 12, outputTokens: 34 } as UsageMessage;
    endCallSpan(span, usage, 200);

    const [recorded] = exporter.getFinishedSpans();
    expect(recorded.name).toBe('chat gpt-4o');
    expect(recorded.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(recorded.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 34,
      'sluice.key_id': 'key_1',
      'http.response.status_code': 200,
    });
  });
});
