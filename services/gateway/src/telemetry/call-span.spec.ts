import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { SpanStatusCode } from '@opentelemetry/api';
import type { UsageMessage } from '@sluice/contracts';
import { endCallSpan, endRefusedSpan, startCallSpan } from './call-span';

describe('the gateway call span', () => {
  const exporter = new InMemorySpanExporter();
  beforeAll(() => new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register());
  beforeEach(() => exporter.reset());

  it('continues the caller trace, follows the GenAI conventions and propagates a traceparent to policy', () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const { span, traceparent } = startCallSpan('chat', 'req-1', incoming);
    expect(traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    const usage = {
      model: 'gpt-4o',
      keyId: 'key_1',
      providerId: 'prov_1',
      upstreamModel: 'gpt-4o-2024',
      status: 200,
      stream: true,
      ttfbMs: 120,
      inputTokens: 12,
      cachedInputTokens: 4,
      outputTokens: 34,
      reasoningTokens: 5,
      estimated: false,
    } as UsageMessage;
    endCallSpan(span, usage, 'openai');

    const [recorded] = exporter.getFinishedSpans();
    expect(recorded.name).toBe('chat');
    expect(recorded.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(recorded.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 34,
      'gen_ai.usage.cache_read.input_tokens': 4,
      'gen_ai.usage.reasoning.output_tokens': 5,
      'gen_ai.response.time_to_first_chunk': 0.12,
      'sluice.key_id': 'key_1',
      'http.response.status_code': 200,
    });
    expect(recorded.attributes['error.type']).toBeUndefined();
  });

  it('names the well-known provider and marks an upstream failure with error.type', () => {
    const { span } = startCallSpan('completions', 'req-2', undefined);
    endCallSpan(
      span,
      {
        keyId: 'key_1',
        providerId: 'prov_2',
        upstreamModel: 'gpt-35',
        status: 502,
        stream: false,
        ttfbMs: null,
        inputTokens: 0,
        cachedInputTokens: 0,
        outputTokens: 0,
        reasoningTokens: 0,
        estimated: false,
      } as UsageMessage,
      'azure-openai',
    );
    const [recorded] = exporter.getFinishedSpans();
    expect(recorded.attributes).toMatchObject({
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.provider.name': 'azure.ai.openai',
      'error.type': '502',
    });
    expect(recorded.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('records a refusal with its code and the rule that refused it', () => {
    const { span } = startCallSpan('chat', 'req-3', undefined);
    endRefusedSpan(
      span,
      { status: 429, type: 'insufficient_quota', code: 'insufficient_quota', message: 'm', rule: 'budget' },
      'key_9',
    );
    const [recorded] = exporter.getFinishedSpans();
    expect(recorded.attributes).toMatchObject({
      'http.response.status_code': 429,
      'error.type': 'insufficient_quota',
      'sluice.rule': 'budget',
      'sluice.key_id': 'key_9',
    });
    expect(recorded.status.code).toBe(SpanStatusCode.ERROR);
  });
});
