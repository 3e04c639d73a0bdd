import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { nextId } from '../ids';
import { mockInputTokens, mockResponse, mockResponseFrames, type ResponsesBody } from '../responses';
import type { TokenCounter } from '../tokens';
import { errorBody, faultFor, type Gates } from './faults';
import { bill, type Invoice, type InvoiceEntry } from './invoice';

export interface ResponsesRouteOptions {
  tokens: TokenCounter;
  omitUsage: boolean;
  chunkDelayMs?: number;
  gates: Gates;
}

/** What the mock keeps of a stored response: the object, its input, and the conversation before it. */
interface Stored {
  response: Record<string, unknown> & { output: Record<string, unknown>[] };
  input: Record<string, unknown>[];
  previous: Record<string, unknown>[];
}

const PATH = /^(?:\/v1|\/openai\/v1)\/responses(?:\/(input_tokens)|\/([^/]+)(?:\/(cancel|input_items))?)?$/;

/** Whether a path is one of the Responses API's, on OpenAI's layout or Azure's v1 layout. */
export const isResponsesPath = (path: string): boolean => PATH.test(path);

/**
 * OpenAI's Responses API, as a native upstream: `POST /v1/responses` (JSON, or SSE with the full
 * event list), `GET`/`DELETE /v1/responses/{id}`, `POST …/{id}/cancel`, `GET …/{id}/input_items`
 * and `POST /v1/responses/input_tokens` on the responses it stored (`store` not false), a
 * `previous_response_id` continuing one. Billed like the chat paths, with cached and reasoning
 * tokens; faults by model name as on the chat paths.
 */
export function responsesRoutes(invoice: Invoice, opts: ResponsesRouteOptions) {
  const stored = new Map<string, Stored>();

  return async (req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer): Promise<void> => {
    const [, tokensPath, id, action] = PATH.exec(path)!;
    const method = req.method ?? 'GET';
    if (id === undefined && tokensPath === undefined && method === 'POST') return create(req, res, raw);
    if (tokensPath && method === 'POST') {
      const body = parse(res, raw);
      if (!body) return;
      const previous = body.previous_response_id ? conversationOf(body.previous_response_id) : [];
      if (previous === null) return notFound(res, body.previous_response_id!, 'previous_response_id');
      return sendJson(res, 200, {
        object: 'response.input_tokens',
        input_tokens: mockInputTokens(body, previous, opts.tokens),
      });
    }
    const found = id ? stored.get(id) : undefined;
    if (!id || !found) return notFound(res, id ?? '', null);
    if (method === 'GET' && !action) return sendJson(res, 200, found.response);
    if (method === 'DELETE' && !action) {
      stored.delete(id);
      return sendJson(res, 200, { id, object: 'response', deleted: true });
    }
    if (method === 'POST' && action === 'cancel') {
      found.response = { ...found.response, status: 'cancelled' };
      return sendJson(res, 200, found.response);
    }
    if (method === 'GET' && action === 'input_items') {
      const query = new URL(req.url ?? '/', 'http://mock').searchParams;
      const items = query.get('order') === 'asc' ? found.input : [...found.input].reverse();
      const after = query.get('after');
      const from = after ? items.findIndex((i) => i.id === after) + 1 : 0;
      const limit = Math.min(Number(query.get('limit')) || 20, 100);
      const data = items.slice(from, from + limit);
      return sendJson(res, 200, {
        object: 'list',
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: from + limit < items.length,
      });
    }
    return sendJson(res, 404, {
      error: { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null },
    });
  };

  function conversationOf(id: string): Record<string, unknown>[] | null {
    const s = stored.get(id);
    return s ? [...s.previous, ...s.input, ...s.response.output] : null;
  }

  async function create(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const body = parse(res, raw);
    if (!body) return;
    if (typeof body.model !== 'string' || body.model === '')
      return sendError(res, 400, "Missing required parameter: 'model'.", 'model');
    const previous = body.previous_response_id ? conversationOf(body.previous_response_id) : [];
    if (previous === null) return notFound(res, body.previous_response_id!, 'previous_response_id');
    const entry: InvoiceEntry = {
      requestId: typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : nextId('req'),
      path: '/v1/responses',
      model: body.model,
      authorization: req.headers.authorization,
      headers: req.headers,
      stream: body.stream === true,
      includeUsage: true,
      status: 200,
      promptTokens: 0,
      completionTokens: 0,
      completed: false,
    };
    const fault = faultFor(body.model);
    if (fault?.kind === 'slow') await sleep(fault.ms);
    if (fault?.kind === 'hold') await opts.gates.wait(fault.gate);
    if (fault && fault.kind !== 'cut' && fault.kind !== 'slow' && fault.kind !== 'hold') {
      entry.status = fault.kind === 'redirect' ? 302 : fault.status;
      entry.completed = true;
      bill(invoice, entry);
      const e = errorBody(entry.status, entry.authorization);
      return sendJson(res, entry.status, { error: { message: e.message, type: e.type, param: null, code: e.code } });
    }
    const mock = mockResponse(body, { previous, tokens: opts.tokens });
    const usage = mock.response.usage;
    entry.promptTokens = usage.input_tokens;
    entry.cachedTokens = usage.input_tokens_details.cached_tokens;
    if (body.store !== false) stored.set(mock.response.id, { response: mock.response, input: mock.input, previous });
    const cutAfter = fault?.kind === 'cut' ? fault.after : -1;
    if (!entry.stream) {
      if (cutAfter >= 0) {
        bill(invoice, entry);
        res.destroy();
        return;
      }
      finishBill(entry, usage.output_tokens, usage.output_tokens_details.reasoning_tokens, true);
      return sendJson(res, 200, opts.omitUsage ? { ...mock.response, usage: null } : mock.response);
    }
    const { frames, content } = mockResponseFrames(
      opts.omitUsage ? { response: { ...mock.response, usage: null } } : mock,
      opts.tokens,
    );
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const delay = opts.chunkDelayMs ?? 0;
    if (delay <= 0 && cutAfter < 0) {
      res.end(frames.join(''));
      return finishBill(entry, usage.output_tokens, usage.output_tokens_details.reasoning_tokens, true);
    }
    let gone = false;
    res.on('close', () => (gone = !res.writableFinished));
    res.flushHeaders();
    let generated = '';
    for (let i = 0; i < frames.length && !gone; i++) {
      if (cutAfter >= 0 && i >= cutAfter) break;
      res.write(frames[i]);
      generated += content[i];
      if (delay > 0) await sleep(delay);
    }
    if (gone || cutAfter >= 0) {
      finishBill(entry, opts.tokens.count(generated), 0, false);
      res.socket?.destroySoon();
      return;
    }
    res.end();
    finishBill(entry, usage.output_tokens, usage.output_tokens_details.reasoning_tokens, true);
  }

  function finishBill(entry: InvoiceEntry, output: number, reasoning: number, completed: boolean): void {
    entry.completionTokens = output;
    entry.reasoningTokens = reasoning;
    entry.completed = completed;
    bill(invoice, entry);
  }
}

function parse(res: ServerResponse, raw: Buffer): ResponsesBody | null {
  try {
    const body = JSON.parse(raw.toString('utf8'));
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as ResponsesBody;
  } catch {
    // answered below
  }
  sendError(res, 400, 'We could not parse the JSON body of your request.', null);
  return null;
}

function notFound(res: ServerResponse, id: string, param: string | null): void {
  const previous = param === 'previous_response_id';
  sendJson(res, 404, {
    error: {
      message: `${previous ? 'Previous response' : 'Response'} with id '${id}' not found.`,
      type: 'invalid_request_error',
      param,
      code: previous ? 'previous_response_not_found' : null,
    },
  });
}

function sendError(res: ServerResponse, status: number, message: string, param: string | null): void {
  sendJson(res, status, { error: { message, type: 'invalid_request_error', param, code: null } });
}

function sendJson(res: ServerResponse, status: number, json: unknown): void {
  const body = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}
