import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { nextId } from '../ids';
import { realTokens } from '../real-tokens';
import { ROUGH_TOKENS, type TokenCounter } from '../tokens';
import { azureRefusal, azureRoute } from './azure';
import { errorBody, faultFor, Gates } from './faults';
import { bill, emptyInvoice, type Invoice, type InvoiceEntry } from './invoice';
import { handleCountTokens, handleMessages, messagesState, type MessagesState } from './messages';
import { jsonReply, missingParam, OPERATION_BY_PATH, streamReply, type Operation } from './replies';
import { isResponsesPath, responsesRoutes } from './responses-routes';

export interface MockUpstreamOptions {
  port?: number;
  host?: string;
  /** Never send usage, neither in JSON replies nor as a stream's usage chunk. */
  omitUsage?: boolean;
  /**
   * Bill as a real provider does, with OpenAI's o200k tokenizer, stream exactly one token per chunk,
   * and never send usage (implies `omitUsage`): the hardest upstream to estimate.
   */
  oneTokenPerChunk?: boolean;
  /** Pause between stream chunks. */
  chunkDelayMs?: number;
  /** Pause before the response starts. */
  latencyMs?: number;
  /** Azure paths answer 401 unless the `api-key` header is this. */
  azureApiKey?: string;
  /** `POST /v1/messages` (Anthropic) answers 401 unless the `x-api-key` header is this. */
  anthropicApiKey?: string;
  /** No Responses API (`/v1/responses` is a 404), as most OpenAI-compatible servers: Sluice must bridge to chat. */
  chatOnly?: boolean;
}

export interface MockUpstream {
  /** Base URL including `/v1`. */
  url: string;
  invoice: Invoice;
  /** Opens a `hold-<gate>` gate: the calls waiting at it (and every later one) are answered. */
  release(gate: string): void;
  /** How many calls wait at a `hold-<gate>` gate. */
  waiting(gate: string): number;
  close(): Promise<void>;
}

const MODELS = ['mock-gpt', 'mock-gpt-mini', 'mock-o1', 'mock-embedding'];
const JSON_TYPE = { 'content-type': 'application/json' };
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' };

/** An OpenAI-compatible HTTP server that bills what it serves, for gateway tests and benchmarks. */
export async function startMockUpstream(opts: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const invoice = emptyInvoice();
  const tokens = opts.oneTokenPerChunk ? realTokens() : ROUGH_TOKENS;
  const gates = new Gates();
  const served: Served = {
    ...opts,
    omitUsage: opts.omitUsage === true || opts.oneTokenPerChunk === true,
    tokens,
    gates,
    messages: messagesState(),
  };
  served.responses = opts.chatOnly
    ? undefined
    : responsesRoutes(invoice, { tokens, omitUsage: served.omitUsage, chunkDelayMs: opts.chunkDelayMs, gates });
  const server = createServer((req, res) => {
    invoice.inFlight++;
    invoice.maxInFlight = Math.max(invoice.maxInFlight, invoice.inFlight);
    res.on('close', () => invoice.inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks), invoice, served).catch(() => res.destroy());
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}/v1`,
    invoice,
    release: (gate) => gates.release(gate),
    waiting: (gate) => gates.waiting(gate),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Served = MockUpstreamOptions & {
  omitUsage: boolean;
  tokens: TokenCounter;
  gates: Gates;
  messages: MessagesState;
  responses?: ReturnType<typeof responsesRoutes>;
};

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  raw: Buffer,
  invoice: Invoice,
  opts: Served,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/v1/models') {
    return sendJson(res, 200, {
      object: 'list',
      data: MODELS.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'sluice-mock' })),
    });
  }
  invoice.received.push({
    method: req.method ?? 'GET',
    path,
    requestId: typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : undefined,
  });
  if (req.method === 'POST' && path === '/v1/messages')
    return handleMessages(req, res, raw, invoice, opts, opts.messages);
  if (req.method === 'POST' && path === '/v1/messages/count_tokens')
    return handleCountTokens(req, res, raw, invoice, opts);
  if (opts.responses && isResponsesPath(path)) {
    if (path.startsWith('/openai/') && opts.azureApiKey !== undefined && req.headers['api-key'] !== opts.azureApiKey)
      return sendError(
        res,
        401,
        'invalid_request_error',
        '401',
        'Access denied due to invalid subscription key or wrong API endpoint.',
      );
    if (opts.latencyMs) await sleep(opts.latencyMs);
    return opts.responses(req, res, path, raw);
  }
  const azure = req.method === 'POST' ? azureRoute(req.url ?? '/') : null;
  const op = azure?.op ?? (req.method === 'POST' ? OPERATION_BY_PATH[path] : undefined);
  if (!op) return sendError(res, 404, 'invalid_request_error', null, `Invalid URL (${req.method} ${path})`);
  const refused = azure && azureRefusal(azure, req.headers, opts.azureApiKey);
  if (refused) return sendJson(res, refused.status, refused.body);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return sendError(res, 400, 'invalid_request_error', null, 'We could not parse the JSON body of your request.');
  }
  // Azure runs (and bills) the deployment the path names, whatever the body's model says.
  if (azure && body && typeof body === 'object') body.model = azure.deployment;
  const missing = body && typeof body === 'object' ? missingParam(op, body) : 'model';
  if (missing)
    return sendError(res, 400, 'invalid_request_error', null, `Missing required parameter: '${missing}'.`, missing);

  const stream = op !== 'embeddings' && body.stream === true;
  const entry: InvoiceEntry = {
    requestId: typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : nextId('req'),
    path,
    ...(azure && { apiVersion: azure.apiVersion ?? undefined }),
    model: body.model as string,
    authorization: req.headers.authorization,
    headers: req.headers,
    stream,
    includeUsage: (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true,
    status: 200,
    promptTokens: 0,
    completionTokens: 0,
    completed: false,
  };
  if (opts.latencyMs) await sleep(opts.latencyMs);

  const fault = faultFor(entry.model);
  if (fault?.kind === 'slow') await sleep(fault.ms);
  if (fault?.kind === 'hold') await opts.gates.wait(fault.gate);
  if (fault && fault.kind !== 'cut' && fault.kind !== 'slow' && fault.kind !== 'hold') {
    entry.status = fault.kind === 'redirect' ? 302 : fault.status;
    entry.completed = true;
    bill(invoice, entry);
    if (fault.kind === 'redirect') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/', 'content-length': '0' }).end();
      return;
    }
    if (fault.kind === 'html') {
      res
        .writeHead(fault.status, { 'content-type': 'text/html' })
        .end(`<html><body><h1>${fault.status}</h1></body></html>`);
      return;
    }
    const e = errorBody(fault.status, entry.authorization);
    return sendError(res, fault.status, e.type, e.code, e.message);
  }
  const cutAfter = fault?.kind === 'cut' ? fault.after : -1;
  if (stream) return streamTo(res, op as Exclude<Operation, 'embeddings'>, body, entry, invoice, opts, cutAfter);

  if (cutAfter >= 0) {
    bill(invoice, entry);
    res.destroy();
    return;
  }
  const reply = jsonReply(op, body, opts.omitUsage, opts.tokens);
  entry.promptTokens = reply.usage.prompt_tokens;
  entry.completionTokens = reply.usage.completion_tokens ?? 0;
  entry.completed = true;
  bill(invoice, entry);
  sendJson(res, 200, reply.json);
}

async function streamTo(
  res: ServerResponse,
  op: Exclude<Operation, 'embeddings'>,
  body: Record<string, unknown>,
  entry: InvoiceEntry,
  invoice: Invoice,
  opts: Served,
  cutAfter: number,
): Promise<void> {
  const reply = streamReply(op, body, opts.omitUsage, opts.tokens);
  entry.promptTokens = reply.usage.prompt_tokens;
  res.writeHead(200, SSE_HEADERS);
  const delay = opts.chunkDelayMs ?? 0;
  if (delay <= 0 && cutAfter < 0) {
    // The benchmark path: one write for the whole stream.
    res.end(`${reply.frames.join('')}data: [DONE]\n\n`);
    entry.completionTokens = reply.usage.completion_tokens;
    entry.completed = true;
    bill(invoice, entry);
    return;
  }
  let gone = false;
  res.on('close', () => (gone = !res.writableFinished));
  res.flushHeaders();
  let generated = '';
  for (let i = 0; i < reply.frames.length && !gone; i++) {
    if (cutAfter >= 0 && i >= cutAfter) break;
    res.write(reply.frames[i]);
    generated += reply.content[i];
    if (delay > 0) await sleep(delay);
  }
  if (gone || cutAfter >= 0) {
    entry.completionTokens = opts.tokens.count(generated);
    bill(invoice, entry);
    // What was written still reaches the caller; the stream just never finishes.
    res.socket?.destroySoon();
    return;
  }
  res.end('data: [DONE]\n\n');
  entry.completionTokens = reply.usage.completion_tokens;
  entry.completed = true;
  bill(invoice, entry);
}

function sendJson(res: ServerResponse, status: number, json: unknown): void {
  const body = JSON.stringify(json);
  res.writeHead(status, { ...JSON_TYPE, 'content-length': Buffer.byteLength(body) }).end(body);
}

function sendError(
  res: ServerResponse,
  status: number,
  type: string,
  code: string | null,
  message: string,
  param: string | null = null,
): void {
  sendJson(res, status, { error: { message, type, param, code } });
}
