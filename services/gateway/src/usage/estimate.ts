import { imageTokens, promptTokens, responsesPromptTokens, type CallEstimate, type Operation } from '@sluice/contracts';
import type { CallFacts } from './usage-message';
import { NOTHING_GENERATED, type GeneratedOutput } from './generated-output';
import { reportedTokens, type TokenCounts } from './token-counts';
import { isReasoningModel, tokenCounterFor } from './tokenizers';
import { generatedOfJson, usageFromJson } from './usage-from-json';
import { unreportedTokens } from './worst-case';

/**
 * What authorize needs to count and reserve the call: the prompt (estimate, bound, images), the output cap, the choices
 * billed.
 */
export function callEstimate(op: Operation, body: Record<string, unknown>): CallEstimate {
  const prompt = promptTokens(op, body);
  const estimate: CallEstimate = {
    inputTokens: prompt.estimate,
    inputTokensBound: prompt.bound,
    maxOutputTokens: maxOutputTokensOf(body),
    choices: choicesOf(op, body),
  };
  if (prompt.images) estimate.images = prompt.images;
  const predicted = predictionBound(op, body);
  if (predicted) estimate.predictedOutputTokens = predicted;
  return estimate;
}

/**
 * A Responses call that continues a stored response: its prompt also holds that conversation — the
 * items Sluice kept (bridged), or the tokens the upstream billed for it (native, `contextTokens`).
 */
export function continuedEstimate(
  body: Record<string, unknown>,
  items: readonly unknown[],
  contextTokens: number,
): CallEstimate {
  const prompt = responsesPromptTokens(body, items);
  const estimate: CallEstimate = {
    inputTokens: prompt.estimate + contextTokens,
    inputTokensBound: prompt.bound + contextTokens,
    maxOutputTokens: maxOutputTokensOf(body),
    choices: 1,
  };
  if (prompt.images) estimate.images = prompt.images;
  return estimate;
}

/**
 * Predicted Outputs: the tokens of the prediction the model rejects are billed as output, so the
 * prediction's UTF-8 bytes (no byte-level BPE makes more tokens) are output the cap does not bound.
 * A prediction in an unexpected shape counts its whole JSON.
 */
function predictionBound(op: Operation, body: Record<string, unknown>): number {
  const prediction = body.prediction;
  if (op === 'embeddings' || prediction === undefined || prediction === null) return 0;
  const content = (prediction as { content?: unknown }).content;
  if (typeof content === 'string') return Buffer.byteLength(content);
  if (Array.isArray(content) && content.every((part) => typeof part?.text === 'string')) {
    let bytes = 0;
    for (const part of content) bytes += Buffer.byteLength(part.text);
    return bytes;
  }
  return Buffer.byteLength(JSON.stringify(prediction));
}

/**
 * Completions the upstream generates and bills: `best_of` (completions; at least `n`), else `n`; the edge checked both.
 */
export function choicesOf(op: Operation, body: Record<string, unknown>): number {
  if (op === 'embeddings' || op === 'messages') return 1;
  const n = typeof body.n === 'number' ? body.n : 1;
  return op === 'completions' && typeof body.best_of === 'number' ? Math.max(n, body.best_of) : n;
}

/** The body fields a caller caps its output with (Responses: `max_output_tokens`). */
const CAP_FIELDS = ['max_completion_tokens', 'max_tokens', 'max_output_tokens'];

/**
 * Whether the caller capped its output, and at what: the largest of the caps it set (an upstream
 * obeys whichever field it knows, so the reservation takes the larger, and the upstream is then
 * sent that one cap alone: providers/output-cap.ts); null when it set none. The edge refused a cap
 * that is not a positive integer, and `max_completion_tokens` on /v1/completions.
 */
export function maxOutputTokensOf(body: Record<string, unknown>): number | null {
  let cap: number | null = null;
  for (const field of CAP_FIELDS) {
    const value = body[field];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) cap = Math.max(cap ?? 0, Math.ceil(value));
  }
  return cap;
}

type Settling = Pick<CallFacts, 'op' | 'route'>;

/**
 * The usage to bill: the upstream's when it reported any, else an estimate that is never below
 * what the upstream can invoice (flagged `estimated`): without usage, its prompt priced as the
 * reservation prices it (every token a cache write where that is dearer). An upstream that reports no output for a
 * reply that produced content is not believed: content is never free.
 */
export function settleTokens(
  call: Settling,
  body: Record<string, unknown>,
  reported: TokenCounts | null,
  generated: GeneratedOutput,
  /** What the prompt holds beyond the body (a stored conversation upstream), as its bound: then the input estimate. */
  promptBound?: number,
): { tokens: TokenCounts; estimated: boolean } {
  if (reported && (reported.outputTokens > 0 || generated.chars === 0)) return { tokens: reported, estimated: false };
  const outputTokens = outputEstimate(call, body, generated);
  if (reported) return { tokens: { ...reported, outputTokens }, estimated: true };
  const inputTokens = promptBound ?? inputEstimate(call, body);
  return { tokens: unreportedTokens(call.route, { inputTokens, outputTokens }), estimated: true };
}

/**
 * An OpenAI-shaped JSON answer (chat, completions, embeddings) settled: its usage read out of the
 * bytes, its text only when that usage leaves the output out (never for embeddings, which have none).
 */
export function settleJson(
  call: Settling,
  body: Record<string, unknown>,
  bytes: Buffer,
  upstream: { reportedTokens?: () => TokenCounts | null },
): { tokens: TokenCounts; estimated: boolean } {
  const reported = reportedTokens(upstream, () => usageFromJson(bytes));
  const generated =
    call.op === 'embeddings' || (reported !== null && reported.outputTokens > 0)
      ? NOTHING_GENERATED
      : generatedOfJson(bytes);
  return settleTokens(call, body, reported, generated);
}

/**
 * Output without usage: the model family's own tokenizer over the text where Sluice knows it, else
 * one token per UTF-8 byte (no byte-level BPE makes more); never fewer than the streamed pieces
 * (each carried at least one token). A reasoning model bills hidden tokens the text does not show,
 * so it is billed its whole output cap; so is a call that asked for hidden output (`hiddenOutput`:
 * Anthropic's thinking, billed in full even when its text is omitted or summarised).
 * A prediction's rejected tokens are not in the text either: its bound is added.
 */
export function outputEstimate(
  call: Settling,
  body: Record<string, unknown>,
  generated: GeneratedOutput,
  hiddenOutput = false,
): number {
  if (call.op === 'embeddings') return 0;
  const upstreamModel = call.route.upstreamModel;
  let tokens = 0;
  if (generated.chars > 0) {
    const count = tokenCounterFor(upstreamModel);
    if (count === null) tokens = generated.bytes;
    else for (const text of generated.texts()) tokens += count(text);
  }
  tokens = Math.max(tokens, generated.deltas);
  if (hiddenOutput || isReasoningModel(upstreamModel))
    tokens = Math.max(tokens, (call.route.outputCap ?? 0) * choicesOf(call.op, body));
  return tokens + predictionBound(call.op, body) * choicesOf(call.op, body);
}

/** Input without usage: the family's tokenizer over what the prompt renders, else the prompt's byte bound. */
export function inputEstimate(call: Settling, body: Record<string, unknown>): number {
  const upstreamModel = call.route.upstreamModel;
  const prompt = promptTokens(call.op, body);
  const images = imageTokens(prompt.images, upstreamModel);
  const count = tokenCounterFor(upstreamModel);
  return (count === null || call.op === 'messages' ? prompt.bound : tokenizedPrompt(call.op, body, count)) + images;
}

/** OpenAI's chat format: at most 4 tokens around each message (3, and 1 for a name) and 3 to prime the reply. */
const PER_MESSAGE = 4;
const PER_REPLY = 3;

export function tokenizedPrompt(op: Operation, body: Record<string, unknown>, count: (text: string) => number): number {
  const json = (v: unknown) =>
    v === undefined || v === null ? 0 : count(typeof v === 'string' ? v : JSON.stringify(v));
  if (op !== 'chat') return tokenizedInput(op === 'completions' ? body.prompt : body.input, count) + json(body.suffix);
  let tokens = PER_REPLY;
  for (const m of (body.messages as Record<string, unknown>[]) ?? []) {
    tokens += PER_MESSAGE + json(m.name) + json(m.tool_calls) + json(m.function_call);
    const content = m.content;
    if (typeof content === 'string') tokens += count(content);
    else if (Array.isArray(content))
      for (const part of content) tokens += typeof part?.text === 'string' ? count(part.text) : 0;
  }
  // Definitions as their JSON: more tokens than the TypeScript-like form OpenAI renders them in.
  return tokens + json(body.tools) + json(body.functions) + json(body.response_format) + json(body.tool_choice);
}

function tokenizedInput(input: unknown, count: (text: string) => number): number {
  if (typeof input === 'string') return count(input);
  if (typeof input === 'number') return 1;
  if (!Array.isArray(input)) return 0;
  let tokens = 0;
  for (const item of input) tokens += tokenizedInput(item, count);
  return tokens;
}
