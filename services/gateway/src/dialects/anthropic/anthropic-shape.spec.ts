import { anthropicErrorBody, anthropicErrorType, anthropicShouldNotRetry } from './anthropic-errors';
import { anthropicLimitHeaders, durationMs } from './rate-limit-headers';

const error = (status: number, code: string | null = null) => ({ status, type: 'x', code, param: null, message: 'm' });

describe('Anthropic’s error shape', () => {
  it('names each status with the error type Anthropic’s SDKs map to a typed error', () => {
    expect([400, 401, 402, 403, 404, 413, 429, 500, 502, 503, 529].map(anthropicErrorType)).toEqual([
      'invalid_request_error',
      'authentication_error',
      'billing_error',
      'permission_error',
      'not_found_error',
      'request_too_large',
      'rate_limit_error',
      'api_error',
      'api_error',
      'api_error',
      'overloaded_error',
    ]);
    expect(JSON.parse(anthropicErrorBody(error(403), 'req-1'))).toEqual({
      type: 'error',
      error: { type: 'permission_error', message: 'm' },
      request_id: 'req-1',
    });
  });

  it('tells clients not to retry what a retry cannot change: auth, permission, budget; a rate limit may be retried', () => {
    expect(anthropicShouldNotRetry(error(401, 'invalid_api_key'))).toBe(true);
    expect(anthropicShouldNotRetry(error(403, 'model_not_allowed'))).toBe(true);
    expect(anthropicShouldNotRetry(error(429, 'insufficient_quota'))).toBe(true);
    expect(anthropicShouldNotRetry(error(429, 'rate_limit_exceeded'))).toBe(false);
    expect(anthropicShouldNotRetry(error(503, 'service_unavailable'))).toBe(false);
    expect(anthropicShouldNotRetry(error(409))).toBe(false);
  });
});

describe('rate-limit headers in Anthropic’s names', () => {
  const now = Date.parse('2026-12-04T12:00:00.250Z');

  it('renames the key’s limits and writes each reset as the RFC 3339 instant it falls on, rounded up to the second', () => {
    const headers = anthropicLimitHeaders(
      {
        'x-ratelimit-limit-requests': '600',
        'x-ratelimit-remaining-requests': '412',
        'x-ratelimit-reset-requests': '41.3s',
        'x-ratelimit-limit-tokens': '400000',
        'x-ratelimit-remaining-tokens': '391022',
        'x-ratelimit-reset-tokens': '1h2m3s',
        'retry-after': '42',
        'retry-after-ms': '41300',
        'x-sluice-budget-remaining-usd': '1.5',
      },
      now,
    );
    expect(headers).toEqual({
      'anthropic-ratelimit-requests-limit': '600',
      'anthropic-ratelimit-requests-remaining': '412',
      'anthropic-ratelimit-requests-reset': '2026-12-04T12:00:42Z',
      'anthropic-ratelimit-tokens-limit': '400000',
      'anthropic-ratelimit-tokens-remaining': '391022',
      'anthropic-ratelimit-tokens-reset': '2026-12-04T13:02:04Z',
      'retry-after': '42',
      'retry-after-ms': '41300',
      'x-sluice-budget-remaining-usd': '1.5',
    });
  });

  it('reads every duration policy writes', () => {
    expect(['20ms', '1.5s', '6m0s', '1h2m3s', '0ms'].map(durationMs)).toEqual([20, 1500, 360_000, 3_723_000, 0]);
    expect(durationMs('soon')).toBeNull();
  });
});
