import { scrapeMetrics } from '@sluice/telemetry';
import { sampleValue, usageFixture } from '@sluice/testing';
import { CallMetrics } from './call-metrics';

describe('the gateway call metrics', () => {
  const metrics = new CallMetrics('gateway-spec', { keyLabels: true, litellm: true });
  const refused = new CallMetrics('gateway-spec-nokeys', { keyLabels: false, litellm: false });

  beforeAll(() => {
    metrics.ended(
      usageFixture('a', {
        keyId: 'key_a',
        inputTokens: 100,
        cachedInputTokens: 40,
        cacheWriteInputTokens: 25,
        outputTokens: 7,
        reasoningTokens: 3,
        costNanos: 114_000,
      }),
      'openai',
      'team-a',
      1.2,
    );
    metrics.ended(
      usageFixture('b', {
        keyId: 'key_a',
        inputTokens: 1,
        outputTokens: 2,
        costNanos: 5_000,
        latencyMs: 30,
        ttfbMs: 10,
        stream: true,
      }),
      'openai',
      'team-a',
      29.5,
    );
    metrics.ended(
      usageFixture('c', { keyId: 'key_b', status: 502, inputTokens: 0, outputTokens: 0, costNanos: 0 }),
      'anthropic',
      'team-b',
      1,
    );
    metrics.refused(
      'chat',
      { status: 429, type: 'insufficient_quota', code: 'insufficient_quota', message: 'over budget', rule: 'budget' },
      'key_b',
      'team-b',
    );
    refused.refused(
      'embeddings',
      { status: 401, type: 'invalid_request_error', code: 'invalid_api_key', message: 'no' },
      undefined,
      undefined,
    );
  });

  it('counts calls, tokens and cost per key, model, provider, operation and outcome', async () => {
    const scrape = await scrapeMetrics();
    const a = {
      key_id: 'key_a',
      key_name: 'team-a',
      model: 'gpt-test',
      provider_id: 'prov-1',
      operation: 'chat',
      status_class: '2xx',
    };
    expect(sampleValue(scrape, 'sluice_gateway_requests_total', a)).toBe(2);
    expect(sampleValue(scrape, 'sluice_gateway_tokens_total', { ...a, token_type: 'input' })).toBe(101);
    expect(sampleValue(scrape, 'sluice_gateway_tokens_total', { ...a, token_type: 'cached_input' })).toBe(40);
    expect(sampleValue(scrape, 'sluice_gateway_tokens_total', { ...a, token_type: 'cache_write_input' })).toBe(25);
    expect(sampleValue(scrape, 'sluice_gateway_tokens_total', { ...a, token_type: 'output' })).toBe(9);
    expect(sampleValue(scrape, 'sluice_gateway_tokens_total', { ...a, token_type: 'reasoning' })).toBe(3);
    expect(sampleValue(scrape, 'sluice_gateway_cost_usd_total', a)).toBe(0.000119);
    expect(sampleValue(scrape, 'sluice_gateway_requests_total', { key_id: 'key_b', status_class: '5xx' })).toBe(1);
  });

  it('counts a refusal under its rule, without the model the caller asked for', async () => {
    const scrape = await scrapeMetrics();
    expect(
      sampleValue(scrape, 'sluice_gateway_requests_total', {
        key_id: 'key_b',
        key_name: 'team-b',
        model: '',
        operation: 'chat',
        status_class: '4xx',
        rule: 'budget',
      }),
    ).toBe(1);
  });

  it('leaves the key out of every label when per-key labels are off', async () => {
    const scrape = await scrapeMetrics();
    const line = scrape
      .split('\n')
      .find((l) => l.startsWith('sluice_gateway_requests_total') && l.includes('operation="embeddings"'));
    expect(line).toBeDefined();
    expect(line).not.toContain('key_id');
  });

  it('exports the same counts under LiteLLM names and labels', async () => {
    const scrape = await scrapeMetrics();
    expect(
      sampleValue(scrape, 'litellm_proxy_total_requests_metric_total', {
        hashed_api_key: 'key_a',
        api_key_alias: 'team-a',
        requested_model: 'gpt-test',
        status_code: '200',
      }),
    ).toBe(2);
    expect(sampleValue(scrape, 'litellm_spend_metric_total', { hashed_api_key: 'key_a', model: 'gpt-test' })).toBe(
      0.000119,
    );
    expect(sampleValue(scrape, 'litellm_total_tokens_metric_total', { hashed_api_key: 'key_a' })).toBe(110);
  });

  it("records GenAI histograms without per-key labels, and Sluice's added time in sub-millisecond buckets", async () => {
    const scrape = await scrapeMetrics();
    const genai = {
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'gpt-test',
      gen_ai_response_model: 'upstream-gpt',
    };
    expect(sampleValue(scrape, 'gen_ai_client_operation_duration_count', genai)).toBe(2);
    expect(sampleValue(scrape, 'gen_ai_client_token_usage_sum', { ...genai, gen_ai_token_type: 'input' })).toBe(101);
    expect(sampleValue(scrape, 'gen_ai_client_operation_time_to_first_chunk_count', genai)).toBe(1);
    expect(
      sampleValue(scrape, 'gen_ai_client_operation_duration_count', {
        gen_ai_provider_name: 'anthropic',
        error_type: '502',
      }),
    ).toBe(1);
    // 1.5 − 1.2 ms and 30 − 29.5 ms: both at most half a millisecond.
    expect(sampleValue(scrape, 'sluice_gateway_added_duration_bucket', { ...genai, le: '0.0005' })).toBe(2);
    expect(sampleValue(scrape, 'sluice_gateway_added_duration_bucket', { ...genai, le: '0.00025' })).toBe(0);
    expect(scrape.split('\n').filter((l) => l.startsWith('gen_ai_') && l.includes('key_id'))).toEqual([]);
  });
});
