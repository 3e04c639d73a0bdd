import { randomUUID } from 'node:crypto';
import type { UnreadRequest } from '@sluice/service';
import { anthropicErrorBody } from '../dialects/anthropic/anthropic-errors';
import { errorBody } from '../dialects/openai/error-body';
import { CLIENT_ERRORS } from '../errors/gateway-errors';
import { anthropicShaped } from './error-shape';

/**
 * The body of an answer to a request Node could not read, before any route (or dialect) had it, in the shape its path
 * speaks.
 */
export const clientErrorBody = (status: 400 | 408 | 431, request: UnreadRequest): string =>
  anthropicShaped(request) ? anthropicErrorBody(CLIENT_ERRORS[status], randomUUID()) : errorBody(CLIENT_ERRORS[status]);
