import {
  costNanosOfUsage,
  type OpenAiError,
  type Operation,
  type ProviderType,
  type UsageMessage,
} from '@sluice/contracts';
import {
  boundHistogram,
  collectDirectly,
  counterData,
  FINE_SECONDS_BUCKETS,
  GENAI_SECONDS_BUCKETS,
  GENAI_TOKEN_BUCKETS,
  metricsSettings,
  millisToHrTime,
  type Attributes,
  type BoundHistogram,
  type HistogramSeries,
  type MetricsSettings,
  type Point,
} from '@sluice/telemetry';
import { genAiOperation, genAiProvider } from './genai-names';

/** One series of the per-call counters: everything a call adds, summed since the process started. */
interface Tally {
  requests: number;
  input: number;
  cachedInput: number;
  /** Prompt tokens written to the provider's cache (Anthropic's `cache_creation_input_tokens`), part of input. */
  cacheWriteInput: number;
  output: number;
  reasoning: number;
  /** Summed in integer nano-dollars, so the total is the exact sum of the calls' costs. */
  costNanoUsd: number;
  labels: TallyLabels;
}

/** The attribute sets of one tally, made once when the series first appears. */
interface TallyLabels {
  call: Attributes;
  tokens: {
    input: Attributes;
    output: Attributes;
    cached_input: Attributes;
    cache_write_input: Attributes;
    reasoning: Attributes;
  };
  litellm: { requests: Attributes; spend: Attributes; tokens: Attributes } | null;
}

/** The histogram series of one model and outcome, bound once. */
interface CallHistograms {
  duration: HistogramSeries;
  inputTokens: HistogramSeries;
  outputTokens: HistogramSeries;
  firstChunk: HistogramSeries;
  upstream: HistogramSeries;
  added: HistogramSeries;
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
 * The gateway's per-call measurements. Counters per key are tallied here, in a map, and read when
 * metrics are collected; histograms carry no per-key labels and are bound once per model and
 * outcome (see DirectMetrics). A call costs two map lookups, not one SDK measurement (attribute
 * hashing) per counter and histogram.
 */
export class CallMetrics {
  readonly #tallies = new Map<string, Tally>();
  readonly #histograms = new Map<string, CallHistograms>();
  readonly #duration: BoundHistogram;
  readonly #tokenUsage: BoundHistogram;
  readonly #firstChunk: BoundHistogram;
  readonly #upstream: BoundHistogram;
  readonly #added: BoundHistogram;

  constructor(
    service = 'gateway',
    private readonly settings: MetricsSettings = metricsSettings(),
  ) {
    const histogram = (name: string, unit: string, description: string, boundaries: readonly number[]) =>
      boundHistogram(service, name, { unit, description, boundaries });
    this.#duration = histogram(
      'gen_ai.client.operation.duration',
      's',
      'Duration of GenAI operations as the client saw them.',
      GENAI_SECONDS_BUCKETS,
    );
    this.#tokenUsage = histogram(
      'gen_ai.client.token.usage',
      '{token}',
      'Billable tokens per call, by gen_ai.token.type.',
      GENAI_TOKEN_BUCKETS,
    );
    this.#firstChunk = histogram(
      'gen_ai.client.operation.time_to_first_chunk',
      's',
      'Time from the request to the first streamed chunk sent to the client.',
      FINE_SECONDS_BUCKETS,
    );
    this.#upstream = histogram(
      'sluice.gateway.upstream.duration',
      's',
      'Time spent on the upstream call, from sending it to its last byte.',
      FINE_SECONDS_BUCKETS,
    );
    this.#added = histogram(
      'sluice.gateway.added.duration',
      's',
      "Sluice's own time in a call: its whole duration less the upstream's.",
      FINE_SECONDS_BUCKETS,
    );

    const startTime = millisToHrTime(Date.now());
    const described = (description: string, unit?: string) => ({ description, ...(unit ? { unit } : {}) });
    const REQUESTS = described('Calls by key, model, provider, operation and outcome (status class, refusal rule).');
    const TOKENS = described(
      'Tokens by type (cached_input and cache_write_input are part of input, reasoning part of output).',
      '{token}',
    );
    const COST = described('Cost of the calls at the catalog price, in US dollars.', 'USD');
    collectDirectly(service, (now) => {
      const requests: Point[] = [];
      const tokens: Point[] = [];
      const cost: Point[] = [];
      const litellm = {
        requests: [] as Point[],
        spend: [] as Point[],
        total: [] as Point[],
        input: [] as Point[],
        output: [] as Point[],
      };
      for (const t of this.#tallies.values()) {
        const { call, tokens: byType } = t.labels;
        requests.push({ attributes: call, value: t.requests });
        cost.push({ attributes: call, value: t.costNanoUsd / 1e9 });
        tokens.push(
          { attributes: byType.input, value: t.input },
          { attributes: byType.output, value: t.output },
          { attributes: byType.cached_input, value: t.cachedInput },
          { attributes: byType.cache_write_input, value: t.cacheWriteInput },
          { attributes: byType.reasoning, value: t.reasoning },
        );
        const l = t.labels.litellm;
        if (l) {
          litellm.requests.push({ attributes: l.requests, value: t.requests });
          litellm.spend.push({ attributes: l.spend, value: t.costNanoUsd / 1e9 });
          litellm.total.push({ attributes: l.tokens, value: t.input + t.output });
          litellm.input.push({ attributes: l.tokens, value: t.input });
          litellm.output.push({ attributes: l.tokens, value: t.output });
        }
      }
      const data = [
        counterData('sluice.gateway.requests', REQUESTS, startTime, now, requests),
        counterData('sluice.gateway.tokens', TOKENS, startTime, now, tokens),
        counterData('sluice.gateway.cost.usd', COST, startTime, now, cost),
      ];
      if (settings.litellm) {
        data.push(
          counterData(
            'litellm_proxy_total_requests_metric',
            described('LiteLLM-compatible: requests by key and model.'),
            startTime,
            now,
            litellm.requests,
          ),
          counterData(
            'litellm_spend_metric',
            described('LiteLLM-compatible: spend in USD.'),
            startTime,
            now,
            litellm.spend,
          ),
          counterData(
            'litellm_total_tokens_metric',
            described('LiteLLM-compatible: input + output tokens.'),
            startTime,
            now,
            litellm.total,
          ),
          counterData(
            'litellm_input_tokens_metric',
            described('LiteLLM-compatible: input tokens.'),
            startTime,
            now,
            litellm.input,
          ),
          counterData(
            'litellm_output_tokens_metric',
            described('LiteLLM-compatible: output tokens.'),
            startTime,
            now,
            litellm.output,
          ),
        );
      }
      return data;
    });
  }

  /** A call refused before any upstream was asked (by policy, or because policy did not answer). */
  refused(op: Operation, error: OpenAiError, keyId: string | undefined, keyName: string | undefined): void {
    this.#tally({
      keyId: keyId ?? '',
      keyName: keyName ?? '',
      model: '',
      upstreamModel: '',
      providerId: '',
      operation: op,
      status: error.status,
      rule: error.rule ?? '',
    }).requests++;
  }

  /** An authorized call, however it ended, with what its usage message says and how long the upstream took. */
  ended(usage: UsageMessage, providerType: ProviderType, keyName: string, upstreamMs: number): void {
    const t = this.#tally({
      keyId: usage.keyId,
      keyName,
      model: usage.model,
      upstreamModel: usage.upstreamModel,
      providerId: usage.providerId,
      operation: usage.operation,
      status: usage.status,
      rule: '',
    });
    t.requests++;
    t.input += usage.inputTokens;
    t.cachedInput += usage.cachedInputTokens;
    t.cacheWriteInput += usage.cacheWriteInputTokens ?? 0;
    t.output += usage.outputTokens;
    t.reasoning += usage.reasoningTokens;
    t.costNanoUsd += costNanosOfUsage(usage);

    const h = this.#callHistograms(usage, providerType);
    h.duration.record(usage.latencyMs / 1000);
    h.inputTokens.record(usage.inputTokens);
    h.outputTokens.record(usage.outputTokens);
    if (usage.ttfbMs !== null && usage.stream) h.firstChunk.record(usage.ttfbMs / 1000);
    h.upstream.record(upstreamMs / 1000);
    h.added.record(Math.max(0, usage.latencyMs - upstreamMs) / 1000);
  }

  #tally(l: CallLabels): Tally {
    const perKey = this.settings.keyLabels;
    const id = `${perKey ? l.keyId : ''}\u0000${perKey ? l.keyName : ''}\u0000${l.model}\u0000${l.upstreamModel}\u0000${l.providerId}\u0000${l.operation}\u0000${l.status}\u0000${l.rule}`;
    let t = this.#tallies.get(id);
    if (!t)
      this.#tallies.set(
        id,
        (t = {
          requests: 0,
          input: 0,
          cachedInput: 0,
          cacheWriteInput: 0,
          output: 0,
          reasoning: 0,
          costNanoUsd: 0,
          labels: tallyLabels(l, this.settings),
        }),
      );
    return t;
  }

  #callHistograms(usage: UsageMessage, providerType: ProviderType): CallHistograms {
    const id = `${usage.operation}\u0000${providerType}\u0000${usage.model}\u0000${usage.upstreamModel}\u0000${usage.status}`;
    let h = this.#histograms.get(id);
    if (!h) {
      const call: Attributes = {
        'gen_ai.operation.name': genAiOperation(usage.operation),
        'gen_ai.provider.name': genAiProvider(providerType),
        'gen_ai.request.model': usage.model,
        'gen_ai.response.model': usage.upstreamModel,
        ...(usage.status >= 400 ? { 'error.type': String(usage.status) } : {}),
      };
      h = {
        duration: this.#duration.series(id, call),
        inputTokens: this.#tokenUsage.series(`${id}\u0000input`, { ...call, 'gen_ai.token.type': 'input' }),
        outputTokens: this.#tokenUsage.series(`${id}\u0000output`, { ...call, 'gen_ai.token.type': 'output' }),
        firstChunk: this.#firstChunk.series(id, call),
        upstream: this.#upstream.series(id, call),
        added: this.#added.series(id, call),
      };
      this.#histograms.set(id, h);
    }
    return h;
  }
}

function tallyLabels(l: CallLabels, settings: MetricsSettings): TallyLabels {
  const key = settings.keyLabels ? { key_id: l.keyId, key_name: l.keyName } : {};
  const call = {
    ...key,
    model: l.model,
    provider_id: l.providerId,
    operation: l.operation,
    status_class: `${Math.floor(l.status / 100)}xx`,
    rule: l.rule,
  };
  const litellmKey = settings.keyLabels ? { hashed_api_key: l.keyId, api_key_alias: l.keyName } : {};
  return {
    call,
    tokens: {
      input: { ...call, token_type: 'input' },
      output: { ...call, token_type: 'output' },
      cached_input: { ...call, token_type: 'cached_input' },
      cache_write_input: { ...call, token_type: 'cache_write_input' },
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
