import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { mockAnthropicFrames, mockAnthropicMessage, type AnthropicBody } from '../anthropic';
import { nextId } from '../ids';
import { countTokens } from '../tokens';
import { faultFor } from './faults';
import { bill, type Invoice, type InvoiceEntry } from './invoice';

export interface MessagesOptions {
  /** `x-api-key` must be this (when set), as Anthropic checks it. */
  anthropicApiKey?: string;
  chunkDelayMs?: number;
}

const ERROR_TYPES: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error', 413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error' };

function sendError(res: ServerResponse, status: number, message: string, type = ERROR_TYPES[status] ?? 'api_error'): void {
  const body = JSON.stringify({ type: 'error', error: { type, message } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'request-id': nextId('req') }).end(body);
}

/**
 * `POST /v1/messages` as Anthropic answers it: x-api-key and anthropic-version checked, max_tokens
 * required, errors in Anthropic's shape, JSON or its SSE events; billed like the OpenAI paths.
 * `error-<status>` and `cut-<n>` model names misbehave as on the OpenAI paths.
 */
export async function handleMessages(req: IncomingMessage, res: ServerResponse, raw: Buffer, invoice: Invoice, opts: MessagesOptions): Promise<void> {
  if (opts.anthropicApiKey !== undefined && req.headers['x-api-key'] !== opts.anthropicApiKey) return sendError(res, 401, 'invalid x-api-key');
  if (!req.headers['anthropic-version']) return sendError(res, 400, 'anthropic-version: header is required');
  let body: AnthropicBody;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return sendError(res, 400, 'There was an issue with the request body: invalid JSON');
  }
  for (const field of ['model', 'max_tokens', 'messages'] as const) if (body?.[field] === undefined) return sendError(res, 400, `${field}: Field required`);
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
  };
  const fault = faultFor(body.model);
  if (fault?.kind === 'error') {
    entry.status = fault.status;
    entry.completed = true;
    bill(invoice, entry);
    return sendError(res, fault.status, `Mock upstream refused the request with status ${fault.status}.`);
  }
  const cutAfter = fault?.kind === 'cut' ? fault.after : -1;
  if (!stream) {
    const message = mockAnthropicMessage(body);
    entry.promptTokens = message.usage.input_tokens;
    entry.completionTokens = message.usage.output_tokens;
    entry.completed = true;
    bill(invoice, entry);
    const json = JSON.stringify(message);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
    return;
  }
  const reply = mockAnthropicFrames(body);
  entry.promptTokens = reply.usage.input_tokens;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
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
