import { unreadRequestOf } from '@sluice/service';
import { anthropicShaped } from './error-shape';
import { unreadableHeaderIn } from './unreadable-header';

const packet = (requestLine: string, headers: string[]) =>
  Buffer.from(`${requestLine}\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1');
const shapedAnthropic = (requestLine: string, headers: string[]) =>
  anthropicShaped(unreadRequestOf(packet(requestLine, headers)));

describe('a request Node refused before any route', () => {
  it('names the header that holds a control character', () => {
    expect(
      unreadableHeaderIn(packet('POST /v1/chat/completions HTTP/1.1', ['host: x', 'x-stainless-retry-count: \u0000'])),
    ).toBe('x-stainless-retry-count');
  });

  it('is answered in Anthropic’s shape on Anthropic’s paths and on /v1/models for a caller that speaks Anthropic, else in OpenAI’s', () => {
    const bad = 'x-bad: \u0000';
    expect(shapedAnthropic('POST /v1/messages HTTP/1.1', ['authorization: Bearer k', bad])).toBe(true);
    expect(shapedAnthropic('POST /v1/messages/count_tokens HTTP/1.1', [bad])).toBe(true);
    expect(shapedAnthropic('GET /v1/models HTTP/1.1', ['anthropic-version: 2023-06-01', bad])).toBe(true);
    expect(shapedAnthropic('GET /v1/models/x HTTP/1.1', ['X-Api-Key: k', bad])).toBe(true);
    expect(shapedAnthropic('GET /v1/models HTTP/1.1', ['x-api-key: k', 'authorization: Bearer k', bad])).toBe(false);
    expect(shapedAnthropic('POST /v1/chat/completions HTTP/1.1', ['anthropic-version: 2023-06-01', bad])).toBe(false);
    expect(anthropicShaped(unreadRequestOf(undefined))).toBe(false);
  });
});
