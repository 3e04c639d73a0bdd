import { RequestLogQuery } from '@sluice/contracts';
import { errors, ok, type Paths } from '../openapi/openapi-helpers';
import { queryParams } from '../openapi/query-params';

export const requestPaths: Paths = {
  '/admin/v1/requests': {
    get: {
      summary: 'The request log, newest first (keyset paging on startedAt, requestId)',
      parameters: queryParams(RequestLogQuery),
      responses: { '200': ok('{data: usage records, nextCursor}'), ...errors },
    },
  },
};
