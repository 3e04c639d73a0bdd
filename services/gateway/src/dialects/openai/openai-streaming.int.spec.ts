import OpenAI from 'openai';
import { mockChatCompletion } from '@sluice/mock-llm';
import { waitFor } from '@sluice/testing';
import { KEY_ID, startHarness, type Harness } from '../../../test/harness';

jest.setTimeout(60_000);

describe('streaming (real NATS, mock upstream, openai SDK)', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness()));
  afterAll(() => h?.stop());

  const messages = [{ role: 'user' as const, content: 'Stream me a story about a weir.' }];
  const expectedText = (upstreamModel: string) =>
    mockChatCompletion({ model: upstreamModel, messages }).choices[0].message.content;

  it('relays a stream without include_usage exactly as OpenAI would send it, and still meters it from upstream usage', async () => {
    const { data: stream, response } = await h
      .client()
      .chat.completions.create(
        { model: 'gpt-test', messages, stream: true },
        { headers: { 'x-request-id': 'stream-plain' } },
      )
      .withResponse();
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(response.headers.get('x-request-id')).toBe('stream-plain');
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(expectedText('upstream-gpt'));
    expect(chunks.every((c) => c.choices.length === 1 && !('usage' in c))).toBe(true);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('stop');

    const billed = h.upstream.invoice.byRequest.get('stream-plain')!;
    expect(billed.includeUsage).toBe(true);
    const usage = await h.usageOf('stream-plain');
    expect(usage).toMatchObject({
      keyId: KEY_ID,
      stream: true,
      status: 200,
      estimated: false,
      inputTokens: billed.promptTokens,
      outputTokens: billed.completionTokens,
    });
    expect(usage.ttfbMs).toBeGreaterThan(0);
    expect(usage.ttfbMs!).toBeLessThanOrEqual(usage.latencyMs);
  });

  it('passes the usage chunk on when the client asked for it', async () => {
    const stream = await h
      .client()
      .chat.completions.create(
        { model: 'gpt-test', messages, stream: true, stream_options: { include_usage: true } },
        { headers: { 'x-request-id': 'stream-usage' } },
      );
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    const billed = h.upstream.invoice.byRequest.get('stream-usage')!;
    expect(last.usage).toMatchObject({
      prompt_tokens: billed.promptTokens,
      completion_tokens: billed.completionTokens,
    });
    expect(await h.usageOf('stream-usage')).toMatchObject({
      inputTokens: billed.promptTokens,
      outputTokens: billed.completionTokens,
      estimated: false,
    });
  });

  it('streams legacy completions and the in-process mock provider the same way', async () => {
    const cmpl = await h
      .client()
      .completions.create(
        { model: 'gpt-test', prompt: 'Once upon a time', stream: true },
        { headers: { 'x-request-id': 'stream-cmpl' } },
      );
    let text = '';
    for await (const chunk of cmpl) text += chunk.choices[0]?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(await h.usageOf('stream-cmpl')).toMatchObject({
      operation: 'completions',
      outputTokens: h.upstream.invoice.byRequest.get('stream-cmpl')!.completionTokens,
    });

    const mock = await h
      .client()
      .chat.completions.create(
        { model: 'gpt-mock', messages, stream: true },
        { headers: { 'x-request-id': 'stream-mock' } },
      );
    let mockText = '';
    for await (const chunk of mock) {
      expect(chunk.usage).toBeUndefined();
      mockText += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(mockText).toBe(expectedText('mock-gpt'));
    expect(await h.usageOf('stream-mock')).toMatchObject({
      outputTokens: mockChatCompletion({ model: 'mock-gpt', messages }).usage.completion_tokens,
      estimated: false,
    });
  });

  it('keeps draining a stream the client aborted, so everything the upstream generated is billed', async () => {
    const stream = await h
      .client()
      .chat.completions.create(
        { model: 'gpt-slow', messages: [{ role: 'user', content: 'Please reply with 60 words.' }], stream: true },
        { headers: { 'x-request-id': 'stream-abort' } },
      );
    let seen = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content && ++seen === 3) break;
    }
    const usage = await h.usageOf('stream-abort');
    const billed = h.slow.invoice.byRequest.get('stream-abort')!;
    // The upstream ran to the end: the gateway did not hang up on it when the client left.
    expect(billed.completed).toBe(true);
    expect(usage).toMatchObject({
      estimated: false,
      inputTokens: billed.promptTokens,
      outputTokens: billed.completionTokens,
    });
    expect(usage.outputTokens).toBeGreaterThan(60);
  });

  it('estimates a stream whose upstream sends no usage, never billing zero output', async () => {
    const stream = await h
      .client()
      .chat.completions.create(
        { model: 'gpt-silent', messages, stream: true, stream_options: { include_usage: true } },
        { headers: { 'x-request-id': 'stream-silent' } },
      );
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(expectedText('upstream-silent'));
    const billed = h.silent.invoice.byRequest.get('stream-silent')!;
    const usage = await h.usageOf('stream-silent');
    // A model Sluice has no tokenizer for is billed one token per byte: never below the invoice.
    expect(usage.estimated).toBe(true);
    expect(usage.inputTokens).toBeGreaterThanOrEqual(billed.promptTokens);
    expect(usage.outputTokens).toBeGreaterThanOrEqual(billed.completionTokens);
  });

  it('answers a JSON error when the upstream fails before the stream starts, and an SSE error event after', async () => {
    const before = await h
      .client()
      .chat.completions.create({ model: 'fault-error-500', messages, stream: true })
      .catch((e) => e);
    expect(before).toBeInstanceOf(OpenAI.InternalServerError);
    expect(before).toMatchObject({ status: 500 });
    // Headers said 200, then the connection dropped before any event: still a JSON error.
    const empty = await h
      .client()
      .chat.completions.create(
        { model: 'fault-cut-0', messages, stream: true },
        { headers: { 'x-request-id': 'stream-cut-0' } },
      )
      .catch((e) => e);
    expect(empty).toBeInstanceOf(OpenAI.InternalServerError);
    expect(empty).toMatchObject({ status: 502, code: 'upstream_error' });
    expect(empty.headers.get('x-request-id')).toBe('stream-cut-0');

    const cut = await h
      .client()
      .chat.completions.create(
        { model: 'fault-cut-3', messages, stream: true },
        { headers: { 'x-request-id': 'stream-cut' } },
      );
    let text = '';
    const failure = await (async () => {
      for await (const chunk of cut) text += chunk.choices[0]?.delta?.content ?? '';
    })().catch((e) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure.error).toMatchObject({ code: 'upstream_error', type: 'server_error' });
    expect(text.length).toBeGreaterThan(0);
    const usage = await h.usageOf('stream-cut');
    expect(usage).toMatchObject({ status: 502, estimated: true });
    expect(usage.outputTokens).toBeGreaterThan(0);
  });

  it('publishes exactly one usage message per authorized call', async () => {
    // Every call in this file was authorized; a retry or a double publish would show up here.
    const authorized = h.authorizeRequests.length;
    expect(authorized).toBeGreaterThanOrEqual(8);
    const all = await waitFor(async () => {
      const published = await h.usageMessages();
      return published.length >= authorized ? published : null;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(await h.usageMessages()).toHaveLength(authorized);
    expect(new Set(all.map((m) => m.requestId)).size).toBe(authorized);
  });
});
