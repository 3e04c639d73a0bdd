import { createHmac } from 'node:crypto';
import { DEFAULT_RETRY, nextAttemptDelay, safeOrigin, signature, webhookTarget } from './budget-notification';

describe('budget notifications', () => {
  it("goes to the key's webhook, else the global one, else nowhere", () => {
    expect(webhookTarget('https://a.example.com/hook', 'https://global.example.com')).toBe(
      'https://a.example.com/hook',
    );
    expect(webhookTarget(null, 'https://global.example.com')).toBe('https://global.example.com');
    expect(webhookTarget(undefined, '')).toBeNull();
  });

  it('signs the timestamp and the exact body with HMAC-SHA256, hex, so neither can be changed or replayed later', () => {
    const body = '{"type":"KeyBudgetReset"}';
    expect(signature(body, 'secret', 1795536000)).toBe(
      `sha256=${createHmac('sha256', 'secret').update(`1795536000.${body}`).digest('hex')}`,
    );
    expect(signature(body, 'secret', 1795536000)).not.toBe(signature(`${body} `, 'secret', 1795536000));
    expect(signature(body, 'secret', 1795536000)).not.toBe(signature(body, 'secret', 1795536001));
  });

  it('waits twice as long after each failed attempt, up to a cap, and gives up after the last', () => {
    const delays = Array.from({ length: DEFAULT_RETRY.maxAttempts }, (_, i) => nextAttemptDelay(i + 1, DEFAULT_RETRY));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000, null]);
  });

  it('shows a webhook in logs by its origin only: path and query may hold its token', () => {
    expect(safeOrigin('https://hooks.slack.com/services/T000/B000/XXXX?token=abc')).toBe('https://hooks.slack.com');
    expect(safeOrigin('not a url')).toBe('(invalid URL)');
  });
});
