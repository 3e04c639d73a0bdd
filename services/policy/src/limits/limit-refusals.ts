import { formatNanoUsd, type OpenAiError } from '@sluice/contracts';
import { formatDuration } from './rate-limit-headers';

/** The windows a key's request and token limits are counted in, as OpenAI names them in messages. */
export type WindowRule = 'requestsPerMinute' | 'requestsPerHour' | 'requestsPerDay' | 'tokensPerMinute';

const WINDOW_WORDS: Record<WindowRule, string> = {
  requestsPerMinute: 'requests per minute (RPM)',
  requestsPerHour: 'requests per hour (RPH)',
  requestsPerDay: 'requests per day (RPD)',
  tokensPerMinute: 'tokens per minute (TPM)',
};

const rateLimited = (type: 'requests' | 'tokens', rule: string, message: string): OpenAiError => ({
  status: 429,
  type,
  code: 'rate_limit_exceeded',
  param: null,
  message,
  rule,
});

/**
 * The 429s of a key's own limits, in OpenAI's words (limit, used, requested, when to retry), with
 * the rule named. Budget refusals are `insufficient_quota`, which SDKs must not retry.
 */
export const LimitRefusals = {
  window: (rule: WindowRule, limit: number, used: number, requested: number, retryInMs: number): OpenAiError =>
    rateLimited(
      rule === 'tokensPerMinute' ? 'tokens' : 'requests',
      rule,
      `Rate limit reached for this virtual key on ${WINDOW_WORDS[rule]}: Limit ${limit}, Used ${Math.ceil(used)}, Requested ${requested}. ` +
        `Please try again in ${formatDuration(retryInMs)} (rule: ${rule}).`,
    ),
  tooLarge: (limit: number, requested: number): OpenAiError =>
    rateLimited(
      'tokens',
      'tokensPerMinute',
      `Request too large for this virtual key on tokens per minute (TPM): Limit ${limit}, Requested ${requested}. ` +
        'Send fewer prompt tokens or a smaller max_tokens (rule: tokensPerMinute).',
    ),
  abandoned: (): OpenAiError => ({
    status: 503,
    type: 'server_error',
    code: 'service_unavailable',
    param: null,
    message: 'The gateway stopped waiting for this call before it was admitted; it was not counted. Please retry.',
  }),
  parallel: (limit: number): OpenAiError =>
    rateLimited(
      'requests',
      'maxParallelRequests',
      `Too many parallel requests for this virtual key: Limit ${limit} in flight. Please retry when one finishes (rule: maxParallelRequests).`,
    ),
  budget: (b: {
    maxNanos: number;
    period: string | null;
    spentNanos: number;
    reservedNanos: number;
    costUpToNanos: number;
    resetsAt: number | null;
  }): OpenAiError => ({
    status: 429,
    type: 'insufficient_quota',
    code: 'insufficient_quota',
    param: null,
    rule: 'budget',
    message:
      `This virtual key's budget of $${formatNanoUsd(b.maxNanos)}${b.period ? ` per ${b.period}` : ''} does not cover this call: spent $${formatNanoUsd(b.spentNanos)}, ` +
      `reserved by calls in flight $${formatNanoUsd(b.reservedNanos)}, this call may cost up to $${formatNanoUsd(b.costUpToNanos)}. ` +
      (b.resetsAt === null
        ? 'The budget does not reset; an administrator can raise it'
        : `The budget resets at ${new Date(b.resetsAt).toISOString()}`) +
      ' (rule: budget).',
  }),
};
