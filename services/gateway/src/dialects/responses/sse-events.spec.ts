import { SseEventTooLarge } from '../../providers/sse-event-bound';
import { SseEvents } from './sse-events';

describe('SseEvents', () => {
  it('returns whole events however the chunks split them, the CRLF framing included', () => {
    const events = new SseEvents();
    const stream = 'event: a\r\ndata: {"x":1}\r\n\r\nevent: b\r\ndata: {"x":2}\r\n\r\n';
    const out: string[] = [];
    for (let i = 0; i < stream.length; i += 3)
      out.push(...events.push(Buffer.from(stream.slice(i, i + 3))).map(String));
    expect(out).toEqual(['event: a\r\ndata: {"x":1}\r\n\r\n', 'event: b\r\ndata: {"x":2}\r\n\r\n']);
    expect(events.flush()).toBeNull();
  });

  it('fails an event that grows past the bound without ending, giving what it held to the caller', () => {
    const held: Buffer[] = [];
    const events = new SseEvents(100, (partial) => held.push(partial));
    expect(events.push(Buffer.from('data: {"delta":"ok"}\n\ndata: {"delta":"'))).toHaveLength(1);
    events.push(Buffer.from('y'.repeat(50)));
    expect(() => events.push(Buffer.from('y'.repeat(50)))).toThrow(SseEventTooLarge);
    expect(String(Buffer.concat(held))).toBe(`data: {"delta":"${'y'.repeat(100)}`);
  });
});
