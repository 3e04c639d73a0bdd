import OpenAI from 'openai';
import { httpHead, RawHttp, waitFor } from '@sluice/testing';
import { callEstimate } from '../usage/estimate';
import {
  dialectBody,
  dialectHeaders,
  DIALECT_PATHS,
  errorOf,
  expectedError,
  promptBoundOf,
  type DialectPath,
} from '../../test/dialect-calls';
import type { Harness } from '../../test/harness';
import { withHostileUpstream } from '../../test/hostile-harness';
import type { HostileUpstream } from '../../test/hostile-upstream';

jest.setTimeout(60_000);

/** Short deadlines, so each is seen to hold in a test's time; the defaults are in docs/security.md. */
const DEADLINES = {
  requestHeadersTimeoutMs: 500,
  requestBodyIdleMs: 500,
  requestTimeoutMs: 2000,
  maxCallMs: 1500,
  maxStreamMs: 1500,
  maxSseEventBytes: 256 * 1024,
};

/** A raw request on its own connection, which then reads nothing more: the socket stays open. */
async function unreadCall(
  h: Harness,
  model: string,
  stream: boolean,
  requestId: string,
  path = '/chat/completions',
  body = JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Hello' }] }),
): Promise<RawHttp> {
  const client = await RawHttp.open(h.gateway.url);
  client.write(
    httpHead('POST', `/v1${path}`, { ...dialectHeaders(h, requestId), 'content-length': String(body.length) }),
  );
  client.write(body);
  client.socket.pause();
  return client;
}

/** The stream's last event, as [its type, the error it names]: how each dialect tells a client its stream failed. */
function lastEventOf(text: string): [string | undefined, string | undefined] {
  const events = text.trim().split(/\r?\n\r?\n/);
  const data = /^data: ?(.*)$/m.exec(events.at(-1) ?? '')?.[1];
  const json = data ? JSON.parse(data) : {};
  if (json.type === 'response.failed') return [json.type, json.response?.error?.code];
  return [json.type, json.error?.type ?? json.code];
}

/**
 * What a stream that broke ends with: Anthropic's `error` event, the Responses `error` event, or a bridged response
 * that failed.
 */
const brokenStreamEnd = (d: DialectPath): [string, string] =>
  d.anthropicErrors
    ? ['error', 'api_error']
    : d.supportsResponses
      ? ['error', 'upstream_error']
      : ['response.failed', 'upstream_error'];

const settled = (h: Harness, requestId: string) =>
  waitFor(async () => (await h.usageMessages()).find((m) => m.clientRequestId === requestId), {
    timeoutMs: 10_000,
    description: `the call ${requestId} to be settled`,
  });

describe('deadlines and bounds on every stage of a call (real NATS, hostile clients and upstream)', () => {
  let h: Harness;
  let hostile: HostileUpstream;
  const hello = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'Hello' }] });

  beforeAll(async () => ([h, hostile] = await withHostileUpstream(DEADLINES)));
  afterAll(async () => {
    await h?.stop();
    await hostile?.close();
  });

  const open = () => RawHttp.open(h.gateway.url);
  const hungUp = (client: RawHttp, what: string) =>
    waitFor(() => client.closed, { timeoutMs: 10_000, description: what });

  it('cuts a client that sends half its request headers and waits, with a 408 in OpenAI’s shape', async () => {
    const client = await open();
    client.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.key}\r\nContent-Ty`,
    );
    await hungUp(client, 'the gateway to cut the half-sent head');
    expect(client.status).toBe(408);
    expect(client.json).toEqual({
      error: {
        type: 'invalid_request_error',
        code: 'request_timeout',
        param: null,
        message: expect.stringContaining('in time'),
      },
    });
  });

  it('cuts a body that stops arriving', async () => {
    const client = await open();
    client.write(
      httpHead('POST', '/v1/chat/completions', {
        authorization: `Bearer ${h.key}`,
        'content-type': 'application/json',
        'content-length': String(hello.length),
      }),
    );
    client.write(hello.slice(0, 10));
    await hungUp(client, 'the gateway to cut the stalled body');
  });

  it.each([
    [
      '/v1/chat/completions',
      'OpenAI’s',
      { error: { type: 'invalid_request_error', code: 'request_timeout', param: null, message: expect.any(String) } },
    ],
    ['/v1/messages', 'Anthropic’s', { type: 'error', error: { type: 'timeout_error', message: expect.any(String) } }],
  ])(
    'cuts a body trickled to %s slower than the whole request may take, with a 408 in %s shape',
    async (path, _shape, error) => {
      const client = await open();
      client.write(httpHead('POST', path, { ...dialectHeaders(h, 'trickle'), 'content-length': String(hello.length) }));
      let sent = 0;
      // One byte every 100 ms: never idle for long, but it would take 7 s to finish.
      const trickle = setInterval(() => client.write(hello[sent++] ?? ''), 100);
      try {
        await hungUp(client, 'the gateway to cut the trickled request');
      } finally {
        clearInterval(trickle);
      }
      expect(sent).toBeLessThan(hello.length);
      expect(client.status).toBe(408);
      expect(client.json).toMatchObject(error);
    },
  );

  it.each(['/v1/messages', '/v1/messages/count_tokens'])(
    'answers a body larger than the limit on %s with a 413 in Anthropic’s shape',
    async (path) => {
      const client = await open();
      client.write(
        httpHead('POST', path, {
          ...dialectHeaders(h, 'too-large-messages'),
          'content-length': String(64 * 1024 * 1024),
        }),
      );
      client.write('{"model":');
      // Answered before the body, which is never sent.
      await waitFor(() => client.json, { timeoutMs: 5000, description: 'the whole answer' });
      expect(client.status).toBe(413);
      expect(client.json).toMatchObject({
        type: 'error',
        error: { type: 'request_too_large', message: expect.any(String) },
      });
      client.close();
    },
  );

  it('ends a non-streamed call at its total deadline with a 504, releasing the upstream and billing its worst case (the upstream generated unseen)', async () => {
    const body = { model: 'gpt-drip', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 200, n: 3 };
    const res = await fetch(`${h.gateway.url}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${h.key}`,
        'content-type': 'application/json',
        'x-request-id': 'deadline-drip',
      },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(504);
    expect(((await res.json()) as any).error).toEqual({
      type: 'server_error',
      code: 'upstream_timeout',
      param: null,
      message: expect.stringContaining('1.5 s'),
    });
    const usage = await h.usageOf('deadline-drip');
    expect(usage).toMatchObject({
      status: 504,
      estimated: true,
      inputTokens: callEstimate('chat', body).inputTokensBound,
      outputTokens: 200 * 3,
    });
    await waitFor(() => hostile.hungUp() >= 1, { description: 'the upstream connection to be closed' });
  });

  describe.each(DIALECT_PATHS.filter((d) => d.op !== 'chat'))('$name', (d: DialectPath) => {
    const post = async (requestBody: Record<string, unknown>, requestId: string) => {
      const res = await fetch(`${h.gateway.url}${d.path}`, {
        method: 'POST',
        headers: dialectHeaders(h, requestId),
        body: JSON.stringify(requestBody),
        signal: AbortSignal.timeout(15_000),
      });
      return { status: res.status, json: JSON.parse((await res.text()) || 'null') };
    };

    it('ends a non-streamed call at its total deadline with a 504 in its own shape, releasing the upstream and billing its worst case', async () => {
      const before = hostile.hungUp();
      const requestBody = dialectBody(d, 'drip', { maxTokens: 200 });
      const res = await post(requestBody, `deadline-drip-${d.prefix}`);
      expect(errorOf(d, res.status, res.json)).toEqual(expectedError(d, 504));
      expect(await h.usageOf(`deadline-drip-${d.prefix}`)).toMatchObject({
        status: 504,
        estimated: true,
        inputTokens: promptBoundOf(d, requestBody),
        outputTokens: 200,
      });
      await waitFor(() => hostile.hungUp() > before, { description: 'the upstream connection to be closed' });
    });

    it('fails a stream whose upstream sends an event larger than the bound with its own error event, billing what it generated', async () => {
      const before = hostile.hungUp();
      const requestId = `deadline-endless-event-${d.prefix}`;
      const res = await fetch(`${h.gateway.url}${d.path}`, {
        method: 'POST',
        headers: dialectHeaders(h, requestId),
        body: JSON.stringify(dialectBody(d, 'endless-event', { stream: true, maxTokens: 100_000 })),
        signal: AbortSignal.timeout(15_000),
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('hello');
      expect(lastEventOf(text)).toEqual(brokenStreamEnd(d));
      const usage = await h.usageOf(requestId);
      expect(usage).toMatchObject({ status: 502, estimated: true });
      // The text of the event that never ended was generated (and billed upstream) too.
      expect(usage.outputTokens).toBeGreaterThan((256 * 1024) / 4 - 1);
      expect(h.logs.some((l) => l.includes(requestId) && l.includes(`above ${256 * 1024} bytes`))).toBe(true);
      await waitFor(() => hostile.hungUp() > before, { description: 'the upstream stream to be closed' });
    });

    it.each([
      ['a non-streamed call at its worst case', false, 200],
      ['a stream at its prompt’s bound', true, 0],
    ])(
      'ends a call the upstream held past its deadline before any answer with a 504, billing %s',
      async (_what, stream, output) => {
        const requestBody = dialectBody(d, 'held', { stream, maxTokens: 200 });
        const requestId = `deadline-held-${d.prefix}-${stream}`;
        const res = await post(requestBody, requestId);
        expect(errorOf(d, res.status, res.json)).toEqual(expectedError(d, 504));
        expect(await h.usageOf(requestId)).toMatchObject({
          status: 504,
          estimated: true,
          inputTokens: promptBoundOf(d, requestBody),
          outputTokens: output,
        });
      },
    );
  });

  it('cuts a stream whose client stops reading at the stream deadline, and settles the call', async () => {
    const before = hostile.hungUp();
    const client = await unreadCall(h, 'gpt-firehose', true, 'deadline-unread');
    const usage = await settled(h, 'deadline-unread');
    expect(usage).toMatchObject({ stream: true, estimated: true });
    expect(usage.outputTokens).toBeGreaterThan(0);
    // A paused socket sees the end only once it reads what was sent before it: the gateway hung up
    // (an ended response on a kept-alive connection would leave it open).
    client.socket.resume();
    await hungUp(client, 'the gateway to hang up on the client that stopped reading');
    await waitFor(() => hostile.hungUp() > before, { description: 'the upstream stream to be closed' });
  });

  it('fails a stream whose upstream sends an event larger than the bound, billing what it generated', async () => {
    const before = hostile.hungUp();
    const stream = await new OpenAI({ apiKey: h.key, baseURL: h.gateway.url, maxRetries: 0 }).chat.completions.create(
      { model: 'gpt-endless-event', stream: true, messages: [{ role: 'user', content: 'Hello' }] },
      { headers: { 'x-request-id': 'deadline-endless-event' } },
    );
    let text = '';
    const failure = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    })().catch((e) => e);
    expect(text).toBe('hello');
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure.error).toMatchObject({ code: 'upstream_error', type: 'server_error' });
    const usage = await h.usageOf('deadline-endless-event');
    expect(usage).toMatchObject({ status: 502, estimated: true });
    // The text of the event that never ended was generated (and billed upstream) too.
    expect(usage.outputTokens).toBeGreaterThan((256 * 1024) / 4 - 1);
    await waitFor(() => hostile.hungUp() > before, { description: 'the upstream stream to be closed' });
  });
});

describe('a client that leaves its answer unread (real NATS)', () => {
  let h: Harness;
  let hostile: HostileUpstream;
  // Long call and stream deadlines: what cuts these clients is their own silence. A cut client
  // counts as gone, so the never-ending stream is read on for drainAfterDisconnectMs to bill it.
  beforeAll(
    async () =>
      ([h, hostile] = await withHostileUpstream({
        clientStallMs: 500,
        maxCallMs: 60_000,
        maxStreamMs: 60_000,
        drainAfterDisconnectMs: 500,
      })),
  );
  afterAll(async () => {
    await h?.stop();
    await hostile?.close();
  });

  const openConnections = () =>
    new Promise<number>((resolve) =>
      h.gateway.app.getHttpServer().getConnections((_err: Error | null, n: number) => resolve(n)),
    );

  it.each([
    ['an 8 MB JSON answer', 'gpt-big-json', false],
    ['a stream', 'gpt-firehose', true],
  ])('hangs up on a client that stops reading %s, long before the call’s deadline', async (_what, model, stream) => {
    const requestId = `unread-${model}`;
    const before = await openConnections();
    const client = await unreadCall(h, model, stream, requestId);
    await waitFor(async () => (await openConnections()) > before, { description: 'the connection to be open' });
    expect(await settled(h, requestId)).toMatchObject({ stream });
    // The gateway's side of the connection is gone, with whatever it still held for the client.
    await waitFor(async () => (await openConnections()) === before, {
      timeoutMs: 10_000,
      description: 'the gateway to hang up',
    });
    client.close();
  });

  it.each(DIALECT_PATHS.filter((d) => d.op !== 'chat'))(
    'hangs up on a client that stops reading a stream on $name, long before the stream’s deadline',
    async (d) => {
      const requestId = `unread-stream-${d.prefix}`;
      const before = await openConnections();
      const body = JSON.stringify(dialectBody(d, 'firehose', { stream: true, maxTokens: 100_000 }));
      const client = await unreadCall(h, '', true, requestId, d.path, body);
      await waitFor(async () => (await openConnections()) > before, { description: 'the connection to be open' });
      expect(await settled(h, requestId)).toMatchObject({ stream: true, estimated: true });
      await waitFor(async () => (await openConnections()) === before, {
        timeoutMs: 10_000,
        description: 'the gateway to hang up',
      });
      client.close();
    },
  );

  it.each(DIALECT_PATHS.filter((d) => d.op !== 'chat'))(
    'hangs up on a client that stops reading an 8 MB JSON answer on $name',
    async (d) => {
      const requestId = `unread-json-${d.prefix}`;
      const before = await openConnections();
      const client = await unreadCall(h, '', false, requestId, d.path, JSON.stringify(dialectBody(d, 'big-json')));
      await waitFor(async () => (await openConnections()) > before, { description: 'the connection to be open' });
      expect(await settled(h, requestId)).toMatchObject({ status: 200 });
      await waitFor(async () => (await openConnections()) === before, {
        timeoutMs: 10_000,
        description: 'the gateway to hang up',
      });
      client.close();
    },
  );
});

describe('a request timed out behind a stream on the same connection (real NATS, pipelined)', () => {
  let h: Harness;
  let hostile: HostileUpstream;
  // The stream outlives the request deadline: the second request times out while the first streams.
  beforeAll(
    async () =>
      ([h, hostile] = await withHostileUpstream({
        requestHeadersTimeoutMs: 500,
        requestTimeoutMs: 1000,
        requestBodyIdleMs: 500,
        maxStreamMs: 60_000,
      })),
  );
  afterAll(async () => {
    await h?.stop();
    await hostile?.close();
  });

  it('hangs up without writing a 408 into the stream in progress', async () => {
    const messages = DIALECT_PATHS.find((d) => d.prefix === 'mtr')!;
    const client = await RawHttp.open(h.gateway.url);
    const stream = JSON.stringify(dialectBody(messages, 'stall-stream', { stream: true }));
    client.write(
      httpHead('POST', '/v1/messages', {
        ...dialectHeaders(h, 'pipelined-1'),
        'content-length': String(stream.length),
      }),
    );
    client.write(stream);
    await waitFor(() => client.received.includes('message_start'), { description: 'the stream to start' });
    const hello = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'Hello' }] });
    client.write(
      httpHead('POST', '/v1/chat/completions', {
        ...dialectHeaders(h, 'pipelined-2'),
        'content-length': String(hello.length),
      }),
    );
    let sent = 0;
    // Never idle for long, but slower than the whole request may take.
    const trickle = setInterval(() => client.write(hello[sent++] ?? ''), 100);
    try {
      await waitFor(() => client.closed, { timeoutMs: 10_000, description: 'the gateway to hang up' });
    } finally {
      clearInterval(trickle);
    }
    expect(sent).toBeLessThan(hello.length);
    // One response on the connection: the stream's head, then its events, and nothing else.
    const received = client.received.toString('latin1');
    expect(client.status).toBe(200);
    expect(received.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(received).not.toContain('timeout_error');
  });
});
