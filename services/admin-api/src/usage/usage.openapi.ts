import { KeyUsageQuery, UsageQuery } from '@sluice/contracts';
import { errors, ok, type Paths } from '../openapi/openapi-helpers';
import { queryParams } from '../openapi/query-params';

export const usagePaths: Paths = {
  '/admin/v1/keys/{id}/usage': {
    get: {
      summary: "A key's totals and a zero-filled UTC series (default: the last 7 days by day)",
      parameters: queryParams(KeyUsageQuery),
      responses: { '200': ok('{keyId, from, to, granularity, totals, series}'), ...errors },
    },
  },
  '/admin/v1/usage': {
    get: {
      summary: 'Cards and series for all calls, and per key, model, provider or agent session with groupBy',
      parameters: queryParams(UsageQuery),
      responses: { '200': ok('{from, to, granularity, groupBy, totals, series, groups?}'), ...errors },
    },
  },
};
