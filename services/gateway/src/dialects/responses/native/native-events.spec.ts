import { mockResponse, mockResponseFrames } from '@sluice/mock-llm';
import { NativeEvents } from './native-events';

describe("an upstream's own Responses events", () => {
  const mock = mockResponse({ model: 'mock-gpt', input: 'Hello' });
  const { frames } = mockResponseFrames(mock);
  const bytes = Buffer.from(frames.join(''));

  it('passes every event on as the same bytes, but holds back the last one; reads the id and the usage', () => {
    const events = new NativeEvents();
    let out = '';
    for (let i = 0; i < bytes.length; i += 11) out += events.push(bytes.subarray(i, i + 11))?.toString() ?? '';
    out += events.flush()?.toString() ?? '';
    expect(out).toBe(frames.slice(0, -1).join(''));
    expect(events.held?.toString()).toBe(frames.at(-1));
    expect(events.responseId).toBe(mock.response.id);
    expect(events.final).toMatchObject({ status: 'completed', usage: mock.response.usage });
    expect(events.lastSequence).toBe(frames.length - 1);
  });

  it('reads events without `event:` lines and with CRLF line ends too', () => {
    const plain = Buffer.from(frames.map((f) => `${f.split('\n')[1]}\r\n\r\n`).join(''));
    const events = new NativeEvents();
    events.push(plain);
    expect(events.final).toMatchObject({ usage: mock.response.usage });
  });

  it('notes an error event, and what was generated before a cut', () => {
    const events = new NativeEvents();
    events.push(
      Buffer.from(
        `${frames.slice(0, 6).join('')}event: error\ndata: {"type":"error","code":"server_error","message":"boom","sequence_number":6}\n\n`,
      ),
    );
    expect(events.errored).toBe(true);
    expect(events.final).toBeNull();
    expect(events.generated.chars).toBeGreaterThan(0);
  });
});
