import { z } from 'zod';
import { BudgetSettings, RateLimitsSchema, SimulateKeyBody } from '@sluice/contracts';
import { errors, jsonBody, ok, type Paths } from '../../openapi/openapi-helpers';

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
const usd = { type: 'number' };
const time = { type: 'string', format: 'date-time' };
const window = {
  type: 'object',
  properties: {
    limit: { type: 'integer' },
    used: { type: 'integer' },
    inFlight: { type: 'integer' },
    remaining: { type: 'integer' },
    resetsInMs: { type: 'integer' },
  },
};

/** The limit fields of the key object: settings from the read model, live state from policy. */
export const keyLimitFields = {
  rateLimits: { anyOf: [jsonSchema(RateLimitsSchema), { type: 'null' }] },
  budget: {
    description:
      'Settings, the current period, and (when policy answered) spentUsd, reservedUsd and remainingUsd; null without a budget',
    anyOf: [
      {
        allOf: [jsonSchema(BudgetSettings)],
        properties: {
          anchor: { const: 'key-created' },
          periodStart: time,
          countsFrom: {
            ...time,
            description:
              'The earliest call start spentUsd counts (a budget given to the key mid-period counts from then)',
          },
          resetsAt: { anyOf: [time, { type: 'null' }] },
          thresholdsReached: { type: 'array', items: { type: 'integer' } },
          spentUsd: usd,
          reservedUsd: usd,
          remainingUsd: usd,
        },
      },
      { type: 'null' },
    ],
  },
  rateLimitState: {
    description: 'Each configured window, live from policy; absent when policy did not answer in time',
    type: 'object',
    properties: {
      requestsPerMinute: window,
      requestsPerHour: window,
      requestsPerDay: window,
      tokensPerMinute: {
        ...window,
        properties: { ...window.properties, tokenKinds: { type: 'array', items: { enum: ['input', 'output'] } } },
      },
      maxParallelRequests: {
        type: 'object',
        properties: { limit: { type: 'integer' }, inFlight: { type: 'integer' } },
      },
    },
  },
};

export const keyObject = (description: string) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        description: 'the key object (all fields: docs/admin-api.md)',
        properties: keyLimitFields,
      },
    },
  },
});

const unavailable = { '503': ok('policy did not answer: {error: {code: "UNAVAILABLE"}}') };

export const keyLimitPaths: Paths = {
  '/admin/v1/keys/{id}/effective-policy': {
    get: {
      summary:
        'Every rule that applies to the key (status, expiry, IPs, operations, models, providers, rate limits, budget) with its setting and current state, as policy enforces it',
      responses: {
        '200': {
          description: '{keyId, status, rules: [{rule, setting, state?}]}',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  keyId: { type: 'string' },
                  status: { enum: ['active', 'disabled', 'expired', 'revoked'] },
                  rules: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['rule', 'setting'],
                      properties: { rule: { type: 'string' }, setting: {}, state: {} },
                    },
                  },
                },
              },
            },
          },
        },
        ...errors,
        ...unavailable,
      },
    },
  },
  '/admin/v1/keys/{id}/simulate': {
    post: {
      summary:
        'Dry run: would this call be allowed now, and if not, which rule refuses it (nothing is counted or reserved; every role may ask)',
      requestBody: jsonBody(SimulateKeyBody),
      responses: {
        '200': {
          description: '{allowed, rule, error, route, headers, reservedUsd}',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  allowed: { type: 'boolean' },
                  rule: {
                    type: ['string', 'null'],
                    description: 'the refusing rule, e.g. models, budget, requestsPerMinute',
                  },
                  error: { description: 'the OpenAI-shaped error the gateway would answer, or null' },
                  route: {
                    anyOf: [
                      {
                        type: 'object',
                        properties: { providerId: { type: 'string' }, upstreamModel: { type: 'string' } },
                      },
                      { type: 'null' },
                    ],
                  },
                  headers: { type: 'object', additionalProperties: { type: 'string' } },
                  reservedUsd: { type: ['number', 'null'] },
                },
              },
            },
          },
        },
        ...errors,
        ...unavailable,
      },
    },
  },
};
