import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostileUpstream {
  /** Base URL including `/v1`. */
  url: string;
  /** How many of its responses ended because the gateway hung up. */
  hungUp: () => number;
  /** The bodies it was sent, by the caller's `x-request-id`. */
  received: Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

const TEXT_EVENT = (text: string) =>
  `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${text}"}}]}\n\n`;

/**
 * An upstream that misbehaves by model name, for the gateway's deadlines and bounds:
 * - `drip`: a 200 JSON answer whose bytes come one every 50 ms, forever;
 * - `firehose`: an SSE stream of 16 KB events as fast as the gateway takes them, forever;
 * - `endless-event`: an SSE stream whose one event never ends (no blank line), forever, in the
 *   dialect of the path it was asked on (a Responses or Anthropic text delta, else a chat chunk);
 * - `stall-stream`: an SSE stream that sends one event and then stays silent;
 * - `big-json`: an 8 MB chat completion, at once; `huge-json` the same at 17 MB;
 * - `reset-json`: a 200 JSON answer cut (connection reset) halfway;
 * - `stall-json`: a 200 JSON answer that stops halfway and stays silent;
 * - `held`: reads the request and never answers;
 * - `not-json`: a 200 `application/json` answer that is not JSON;
 * - `cut-anthropic`: Anthropic's SSE whose message_start reports 7 input tokens, 1,000 read from
 *   the cache and 50 written to it, then one text delta, then a connection reset;
 * - `no-usage-anthropic`: Anthropic's JSON message (a short text) without its `usage`;
 * - `echo`: a small chat completion with usage (see `received` for what it was sent).
 * A request without a body (a stored response's `GET`, `DELETE`, `/cancel`, `/input_items`) is
 * answered by the model in its response id: `resp_<model>`.
 */
export async function startHostileUpstream(): Promise<HostileUpstream> {
  let hungUp = 0;
  const received = new Map<string, Record<string, unknown>>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
      received.set(String(req.headers['x-request-id']), body);
      const model = body.model ?? /\/responses\/resp_([a-z-]+)/.exec(req.url ?? '')?.[1];
      res.on('close', () => !res.writableFinished && hungUp++);
      if (model === 'drip') return drip(res);
      if (model === 'firehose') return firehose(res);
      if (model === 'endless-event') return endlessEvent(res, req.url ?? '');
      if (model === 'stall-stream') return stallStream(res);
      if (model === 'big-json') return bigJson(res, 8);
      if (model === 'huge-json') return bigJson(res, 17);
      if (model === 'reset-json') return halfJson(res, true);
      if (model === 'stall-json') return halfJson(res, false);
      if (model === 'held') return;
      if (model === 'not-json')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('<html>served</html>');
      if (model === 'cut-anthropic') return cutAnthropic(res);
      if (model === 'no-usage-anthropic') return anthropicWithoutUsage(res);
      if (model === 'echo') return echo(res);
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    hungUp: () => hungUp,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function drip(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  const timer = setInterval(() => res.write(' '), 50);
  res.on('close', () => clearInterval(timer));
}

function firehose(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const event = TEXT_EVENT('x'.repeat(16 * 1024));
  const pump = () => {
    while (!res.destroyed && res.write(event));
  };
  res.on('drain', pump);
  pump();
}

/** The first event and the start of the endless one, in the path's dialect. */
const ENDLESS_START: [string, string, string][] = [
  [
    '/responses',
    'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"hello","sequence_number":0}\n\n',
    'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"',
  ],
  [
    '/messages',
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hello"}}\n\n',
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"',
  ],
  [
    '',
    TEXT_EVENT('hello'),
    'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"',
  ],
];

function endlessEvent(res: ServerResponse, url: string): void {
  const [, first, endless] = ENDLESS_START.find(([path]) => url.includes(path))!;
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(first);
  res.write(endless);
  const chunk = 'y'.repeat(16 * 1024);
  const timer = setInterval(() => res.write(chunk), 5);
  res.on('close', () => clearInterval(timer));
}

function stallStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(TEXT_EVENT('hello'));
}

function bigJson(res: ServerResponse, megabytes: number): void {
  const body = JSON.stringify({
    id: 'c',
    object: 'chat.completion',
    choices: [
      { index: 0, message: { role: 'assistant', content: 'z'.repeat(megabytes * 1024 * 1024) }, finish_reason: 'stop' },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

function halfJson(res: ServerResponse, reset: boolean): void {
  const body = JSON.stringify({
    id: 'c',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: 'z'.repeat(64 * 1024) }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.write(body.slice(0, body.length / 2), () => {
    if (reset) res.socket?.resetAndDestroy();
  });
}

function echo(res: ServerResponse): void {
  const body = JSON.stringify({
    id: 'c',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

function anthropicWithoutUsage(res: ServerResponse): void {
  const body = JSON.stringify({
    id: 'msg_no_usage',
    type: 'message',
    role: 'assistant',
    model: 'no-usage-anthropic',
    content: [{ type: 'text', text: 'ok' }],
    stop_reason: 'end_turn',
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

function cutAnthropic(res: ServerResponse): void {
  const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const usage = { input_tokens: 7, cache_read_input_tokens: 1000, cache_creation_input_tokens: 50, output_tokens: 1 };
  res.write(
    event('message_start', {
      type: 'message_start',
      message: {
        id: 'msg_cut',
        type: 'message',
        role: 'assistant',
        model: 'cut-anthropic',
        content: [],
        stop_reason: null,
        usage,
      },
    }),
  );
  res.write(
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  );
  res.write(
    event('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'Once upon a time' },
    }),
    () => {
      setTimeout(() => res.socket?.resetAndDestroy(), 20);
    },
  );
}
