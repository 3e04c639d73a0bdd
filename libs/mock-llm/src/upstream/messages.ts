import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  anthropicInputTokens,
  mockAnthropicFrames,
  mockAnthropicMessage,
  PromptCache,
  ThinkingSignatures,
  type AnthropicBody,
  type AnthropicUsage,
} from '../anthropic';
import { nextId } from '../ids';
import { countTokens } from '../tokens';
import { faultFor, type Gates } from './faults';
import { bill, type Invoice, type InvoiceEntry } from './invoice';

export interface MessagesOptions {
  /** `x-api-key` must be this (when set), as Anthropic checks it. */
  anthropicApiKey?: string;
  chunkDelayMs?: number;
  gates?: Gates;
}

/** What one mock server remembers between Messages calls: its prompt cache and the thinking signatures it gave. */
export interface MessagesState {
  cache: PromptCache;
  signatures: ThinkingSignatures;
}

export const messagesState = (): MessagesState => ({ cache: new PromptCache(), signatures: new ThinkingSignatures() });

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  type = ERROR_TYPES[status] ?? 'api_error',
): void {
  const body = JSON.stringify({ type: 'error', error: { type, message } });
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'request-id': nextId('req'),
    })
    .end(body);
}

/**
 * The request as Anthropic checks it first: its key and version headers, a JSON body with the fields required. Null
 * when it passes.
 */
function refusal(
  req: IncomingMessage,
  raw: Buffer,
  opts: MessagesOptions,
  required: readonly string[],
): { status: number; message: string } | { body: AnthropicBody } {
  if (opts.anthropicApiKey !== undefined && req.headers['x-api-key'] !== opts.anthropicApiKey)
    return { status: 401, message: 'invalid x-api-key' };
  if (!req.headers['anthropic-version']) return { status: 400, message: 'anthropic-version: header is required' };
  let body: AnthropicBody;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return { status: 400, message: 'There was an issue with the request body: invalid JSON' };
  }
  for (const field of required)
    if ((body as unknown as Record<string, unknown>)?.[field] === undefined)
      return { status: 400, message: `${field}: Field required` };
  return { body };
}

/**
 * `POST /v1/messages/count_tokens`: the input tokens `/v1/messages` would bill for the same prompt (cached or not).
 * Free: not billed.
 */
export function handleCountTokens(
  req: IncomingMessage,
  res: ServerResponse,
  raw: Buffer,
  invoice: Invoice,
  opts: MessagesOptions,
): void {
  const checked = refusal(req, raw, opts, ['model', 'messages']);
  if ('status' in checked) {
    sendError(res, checked.status, checked.message);
    return;
  }
  invoice.countTokensCalls++;
  const json = JSON.stringify({ input_tokens: anthropicInputTokens(checked.body) });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
}

const billUsage = (entry: InvoiceEntry, usage: AnthropicUsage) => {
  entry.cacheReadTokens = usage.cache_read_input_tokens;
  entry.cacheWriteTokens = usage.cache_creation_input_tokens;
  entry.cacheWrite1hTokens = usage.cache_creation.ephemeral_1h_input_tokens;
  entry.promptTokens = usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens;
};

/**
 * `POST /v1/messages` as Anthropic answers it: x-api-key and anthropic-version checked, max_tokens
 * required, a thinking block sent back altered refused, errors in Anthropic's shape, JSON or its
 * SSE events; billed like the OpenAI paths, cache tokens apart. `error-<status>`, `cut-<n>` and
 * `hold-<gate>` model names misbehave as on the OpenAI paths.
 */
export async function handleMessages(
  req: IncomingMessage,
  res: ServerResponse,
  raw: Buffer,
  invoice: Invoice,
  opts: MessagesOptions,
  state: MessagesState,
): Promise<void> {
  const checked = refusal(req, raw, opts, ['model', 'max_tokens', 'messages']);
  if ('status' in checked) return sendError(res, checked.status, checked.message);
  const body = checked.body;
  const tampered = state.signatures.tampered(body);
  if (tampered) return sendError(res, 400, tampered);
  const stream = body.stream === true;
  const entry: InvoiceEntry = {
    requestId: typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : nextId('req'),
    path: '/v1/messages',
    model: body.model,
    authorization: req.headers.authorization,
    headers: req.headers,
    stream,
    // Anthropic always reports usage, in a stream too.
    includeUsage: true,
    status: 200,
    promptTokens: 0,
    completionTokens: 0,
    completed: false,
    body: raw.toString('utf8'),
  };
  const fault = faultFor(body.model);
  if (fault?.kind === 'hold' && opts.gates) await opts.gates.wait(fault.gate);
  if (fault?.kind === 'error') {
    entry.status = fault.status;
    entry.completed = true;
    bill(invoice, entry);
    return sendError(res, fault.status, `Mock upstream refused the request with status ${fault.status}.`);
  }
  const cutAfter = fault?.kind === 'cut' ? fault.after : -1;
  if (!stream) {
    const message = mockAnthropicMessage(body, state);
    billUsage(entry, message.usage);
    entry.completionTokens = message.usage.output_tokens;
    entry.completed = true;
    bill(invoice, entry);
    const json = JSON.stringify(message);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
    return;
  }
  const reply = mockAnthropicFrames(body, state);
  billUsage(entry, reply.usage);
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  if (!opts.chunkDelayMs && cutAfter < 0) {
    // The benchmark path: one write for the whole stream.
    res.end(reply.frames.join(''));
    entry.completionTokens = reply.usage.output_tokens;
    entry.completed = true;
    bill(invoice, entry);
    return;
  }
  res.flushHeaders();
  let gone = false;
  res.on('close', () => (gone = !res.writableFinished));
  let generated = '';
  for (let i = 0; i < reply.frames.length && !gone; i++) {
    if (cutAfter >= 0 && i >= cutAfter) break;
    res.write(reply.frames[i]);
    generated += reply.content[i];
    if (opts.chunkDelayMs) await sleep(opts.chunkDelayMs);
  }
  if (gone || cutAfter >= 0) {
    entry.completionTokens = countTokens(generated);
    bill(invoice, entry);
    res.socket?.destroySoon();
    return;
  }
  res.end();
  entry.completionTokens = reply.usage.output_tokens;
  entry.completed = true;
  bill(invoice, entry);
}
