import type { OpenAiError, Operation, ProviderType, UsageMessage } from '@sluice/contracts';
import { FINE_SECONDS_BUCKETS, GENAI_SECONDS_BUCKETS, GENAI_TOKEN_BUCKETS, meterOf, metricsSettings, type Attributes, type MetricsSettings } from '@sluice/telemetry';
import { genAiOperation, genAiProvider } from './genai-names';

/** One series of the per-call counters: everything a call adds, summed since the process started. */
interface Tally {
  requests: number;
  input: number;
  cachedInput: number;
  output: number;
  reasoning: number;
  /** Summed in integer nano-dollars, so the total is the exact sum of the calls' costs. */
  costNanoUsd: number;
  labels: TallyLabels;
}

/** The attribute sets of one tally, made once when the series first appears. */
interface TallyLabels {
  call: Attributes;
  tokens: { input: Attributes; output: Attributes; cached_input: Attributes; reasoning: Attributes };
  litellm: { requests: Attributes; spend: Attributes; tokens: Attributes } | null;
}

export interface CallLabels {
  keyId: string;
  keyName: string;
  /** The catalog model (empty for a refused call: the caller's string is never a label). */
  model: string;
  upstreamModel: string;
  providerId: string;
  operation: string;
  status: number;
  rule: string;
}

/**
 * The gateway's per-call measurements. Counters per key are tallied here, in a map, and read by
 * observable instruments when metrics are collected, so a call costs one map lookup rather than
 * one SDK measurement (attribute hashing) per counter; histograms carry no per-key labels and
 * reuse one attribute object per model and outcome.
 */
export class CallMetrics {
  readonly #tallies = new Map<string, Tally>();
  readonly #histogramLabels = new Map<string, { call: Attributes; input: Attributes; output: Attributes }>();
  readonly #duration;
  readonly #tokenUsage;
  readonly #firstChunk;
  readonly #upstream;
  readonly #added;

  constructor(
    service = 'gateway',
    private readonly settings: MetricsSettings = metricsSettings(),
  ) {
    const meter = meterOf(service);
    this.#duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', description: 'Duration of GenAI operations as the client saw them.', advice: { explicitBucketBoundaries: GENAI_SECONDS_BUCKETS } });
    this.#tokenUsage = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}', description: 'Billable tokens per call, by gen_ai.token.type.', advice: { explicitBucketBoundaries: GENAI_TOKEN_BUCKETS } });
    this.#firstChunk = meter.createHistogram('gen_ai.client.operation.time_to_first_chunk', { unit: 's', description: 'Time from the request to the first streamed chunk sent to the client.', advice: { explicitBucketBoundaries: GENAI_SECONDS_BUCKETS } });
    this.#upstream = meter.createHistogram('sluice.gateway.upstream.duration', { unit: 's', description: 'Time spent on the upstream call, from sending it to its last byte.', advice: { explicitBucketBoundaries: FINE_SECONDS_BUCKETS } });
    this.#added = meter.createHistogram('sluice.gateway.added.duration', { unit: 's', description: "Sluice's own time in a call: its whole duration less the upstream's.", advice: { explicitBucketBoundaries: FINE_SECONDS_BUCKETS } });

    const requests = meter.createObservableCounter('sluice.gateway.requests', { description: 'Calls by key, model, provider, operation and outcome (status class, refusal rule).' });
    const tokens = meter.createObservableCounter('sluice.gateway.tokens', { unit: '{token}', description: 'Tokens by type (cached_input is part of input, reasoning part of output).' });
    const cost = meter.createObservableCounter('sluice.gateway.cost.usd', { unit: 'USD', description: 'Cost of the calls at the catalog price, in US dollars.' });
    const observables = [requests, tokens, cost];
    const litellm = settings.litellm
      ? {
          requests: meter.createObservableCounter('litellm_proxy_total_requests_metric', { description: 'LiteLLM-compatible: requests by key and model.' }),
          spend: meter.createObservableCounter('litellm_spend_metric', { description: 'LiteLLM-compatible: spend in USD.' }),
          total: meter.createObservableCounter('litellm_total_tokens_metric', { description: 'LiteLLM-compatible: input + output tokens.' }),
          input: meter.createObservableCounter('litellm_input_tokens_metric', { description: 'LiteLLM-compatible: input tokens.' }),
          output: meter.createObservableCounter('litellm_output_tokens_metric', { description: 'LiteLLM-compatible: output tokens.' }),
        }
      : null;
    if (litellm) observables.push(...Object.values(litellm));

    meter.addBatchObservableCallback((r) => {
      for (const t of this.#tallies.values()) {
        const { call, tokens: byType } = t.labels;
        r.observe(requests, t.requests, call);
        r.observe(cost, t.costNanoUsd / 1e9, call);
        r.observe(tokens, t.input, byType.input);
        r.observe(tokens, t.output, byType.output);
        r.observe(tokens, t.cachedInput, byType.cached_input);
        r.observe(tokens, t.reasoning, byType.reasoning);
        if (litellm && t.labels.litellm) {
          const l = t.labels.litellm;
          r.observe(litellm.requests, t.requests, l.requests);
          r.observe(litellm.spend, t.costNanoUsd / 1e9, l.spend);
          r.observe(litellm.total, t.input + t.output, l.tokens);
          r.observe(litellm.input, t.input, l.tokens);
          r.observe(litellm.output, t.output, l.tokens);
        }
      }
    }, observables);
  }

  /** A call refused before any upstream was asked (by policy, or because policy did not answer). */
  refused(op: Operation, error: OpenAiError, keyId: string | undefined, keyName: string | undefined): void {
    this.#tally({ keyId: keyId ?? '', keyName: keyName ?? '', model: '', upstreamModel: '', providerId: '', operation: op, status: error.status, rule: error.rule ?? '' }).requests++;
  }

  /** An authorized call, however it ended, with what its usage message says and how long the upstream took. */
  ended(usage: UsageMessage, providerType: ProviderType, keyName: string, upstreamMs: number): void {
    const t = this.#tally({ keyId: usage.keyId, keyName, model: usage.model, upstreamModel: usage.upstreamModel, providerId: usage.providerId, operation: usage.operation, status: usage.status, rule: '' });
    t.requests++;
    t.input += usage.inputTokens;
    t.cachedInput += usage.cachedInputTokens;
    t.output += usage.outputTokens;
    t.reasoning += usage.reasoningTokens;
    if (usage.costUsd !== undefined) t.costNanoUsd += Math.round(usage.costUsd * 1e9);

    const h = this.#histogramAttributes(usage, providerType);
    this.#duration.record(usage.latencyMs / 1000, h.call);
    this.#tokenUsage.record(usage.inputTokens, h.input);
    this.#tokenUsage.record(usage.outputTokens, h.output);
    if (usage.ttfbMs !== null && usage.stream) this.#firstChunk.record(usage.ttfbMs / 1000, h.call);
    this.#upstream.record(upstreamMs / 1000, h.call);
    this.#added.record(Math.max(0, usage.latencyMs - upstreamMs) / 1000, h.call);
  }

  #tally(l: CallLabels): Tally {
    const perKey = this.settings.keyLabels;
    const id = `${perKey ? l.keyId : ''}\u0000${perKey ? l.keyName : ''}\u0000${l.model}\u0000${l.upstreamModel}\u0000${l.providerId}\u0000${l.operation}\u0000${l.status}\u0000${l.rule}`;
    let t = this.#tallies.get(id);
    if (!t) this.#tallies.set(id, (t = { requests: 0, input: 0, cachedInput: 0, output: 0, reasoning: 0, costNanoUsd: 0, labels: tallyLabels(l, this.settings) }));
    return t;
  }

  #histogramAttributes(usage: UsageMessage, providerType: ProviderType): { call: Attributes; input: Attributes; output: Attributes } {
    const id = `${usage.operation}\u0000${providerType}\u0000${usage.model}\u0000${usage.upstreamModel}\u0000${usage.status}`;
    let h = this.#histogramLabels.get(id);
    if (!h) {
      const call: Attributes = {
        'gen_ai.operation.name': genAiOperation(usage.operation),
        'gen_ai.provider.name': genAiProvider(providerType),
        'gen_ai.request.model': usage.model,
        'gen_ai.response.model': usage.upstreamModel,
        ...(usage.status >= 400 ? { 'error.type': String(usage.status) } : {}),
      };
      this.#histogramLabels.set(id, (h = { call, input: { ...call, 'gen_ai.token.type': 'input' }, output: { ...call, 'gen_ai.token.type': 'output' } }));
    }
    return h;
  }
}

function tallyLabels(l: CallLabels, settings: MetricsSettings): TallyLabels {
  const key = settings.keyLabels ? { key_id: l.keyId, key_name: l.keyName } : {};
  const call = { ...key, model: l.model, provider_id: l.providerId, operation: l.operation, status_class: `${Math.floor(l.status / 100)}xx`, rule: l.rule };
  const litellmKey = settings.keyLabels ? { hashed_api_key: l.keyId, api_key_alias: l.keyName } : {};
  return {
    call,
    tokens: {
      input: { ...call, token_type: 'input' },
      output: { ...call, token_type: 'output' },
      cached_input: { ...call, token_type: 'cached_input' },
      reasoning: { ...call, token_type: 'reasoning' },
    },
    litellm: settings.litellm
      ? {
          requests: { ...litellmKey, requested_model: l.model, model: l.upstreamModel, status_code: String(l.status) },
          spend: { ...litellmKey, model: l.model },
          tokens: { ...litellmKey, requested_model: l.model, model: l.upstreamModel },
        }
      : null,
  };
}
