import type { UnreadRequest } from '@sluice/service';

/**
 * Whether a caller speaks Anthropic: an `anthropic-version` header, or `x-api-key` without `Authorization` (what Claude
 * Code and the Anthropic SDKs send).
 */
export const speaksAnthropic = (has: (header: string) => boolean): boolean =>
  has('anthropic-version') || (has('x-api-key') && !has('authorization'));

/**
 * Which error shape a gateway answer takes, before or without a dialect: Anthropic's on Anthropic's
 * paths and on /v1/models for a caller that speaks Anthropic; OpenAI's everywhere else. One rule
 * for the routes, the unknown paths and the requests Node could not read.
 */
export const anthropicShaped = (request: UnreadRequest): boolean =>
  request.path.startsWith('/v1/messages') ||
  (request.path.startsWith('/v1/models') && speaksAnthropic((h) => request.has(h)));
