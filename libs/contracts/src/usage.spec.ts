import { UsageMessage } from './usage';

const usage = {
  requestId: 'call-1',
  keyId: 'key_1',
  model: 'm',
  upstreamModel: 'm',
  providerId: 'p',
  operation: 'chat',
  stream: false,
  status: 200,
  inputTokens: 10,
  cachedInputTokens: 0,
  outputTokens: 5,
  reasoningTokens: 0,
  estimated: false,
  latencyMs: 12.5,
  ttfbMs: null,
  clientIp: '127.0.0.1',
  startedAt: '2026-11-24T12:00:00.000Z',
  costNanos: 1234,
};
/** As it arrives: JSON, where 1e400 reads as Infinity. */
const wire = (over: string) => JSON.parse(JSON.stringify(usage).replace(/}$/, `,${over}}`));

describe('a usage message is checked before anything is counted from it', () => {
  it('takes a well-formed message, its start in UTC or with an offset', () => {
    expect(UsageMessage.safeParse(usage).success).toBe(true);
    expect(UsageMessage.safeParse({ ...usage, startedAt: '2026-11-24T13:00:00.123+01:00' }).success).toBe(true);
  });

  it('refuses a start that is not an instant', () => {
    for (const startedAt of ['not-a-date', '', '2026-11-24', '1796428090825'])
      expect(UsageMessage.safeParse({ ...usage, startedAt }).success).toBe(false);
  });

  it('refuses negative, fractional or non-finite tokens and money', () => {
    for (const over of [
      '"costNanos":-5000000000',
      '"costNanos":1.5',
      '"costNanos":1e400',
      '"inputTokens":1e400',
      '"outputTokens":-1',
      '"latencyMs":1e400',
      '"costUsd":-1',
    ]) {
      expect({ over, ok: UsageMessage.safeParse(wire(over)).success }).toEqual({ over, ok: false });
    }
  });
});
