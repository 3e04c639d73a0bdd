import { CreateKeyBody, ListKeysQuery, RegenerateKeyBody, UpdateKeyBody } from '@sluice/contracts';
import { queryParams } from '../openapi/query-params';
import { policyWrite } from '../changes/changes.openapi';
import { errors, jsonBody, ok, type Paths } from '../openapi/openapi-helpers';
import { keyLimitPaths, keyObject } from './limits/limits.openapi';

const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'A retry with the same value (within 24 h) answers the same secret; with another body or key it is a 409 IDEMPOTENCY.KEY_REUSED',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

export const keyPaths: Paths = {
  '/admin/v1/keys': {
    post: policyWrite({
      summary: 'Create a virtual key (the secret is shown once)',
      requestBody: jsonBody(CreateKeyBody),
      responses: { '201': keyObject('the key object plus `key`'), ...errors },
    }),
    get: {
      summary:
        'List keys (?status=&q=&cursor=&limit=); q finds a part of the name (any case), the id, or a part of the hint',
      parameters: queryParams(ListKeysQuery),
      responses: { '200': ok('{data: [key object, with its limits as on GET /keys/{id}], nextCursor}'), ...errors },
    },
  },
  '/admin/v1/keys/{id}': {
    get: {
      summary: 'Read a key with its usage, its limits and (live from policy) its budget spend and rate-limit windows',
      responses: { '200': keyObject('the key object'), ...errors },
    },
    patch: policyWrite({
      summary:
        'Change any permission or setting; only the changed fields are recorded (before and after); null clears a list or the expiry',
      requestBody: jsonBody(UpdateKeyBody),
      responses: { '200': keyObject('the key object'), ...errors },
    }),
    delete: policyWrite({
      summary: 'Revoke a key for good (its history stays, its name can be reused)',
      responses: { '200': keyObject('the revoked key object'), ...errors },
    }),
  },
  '/admin/v1/keys/{id}/regenerate': {
    post: policyWrite({
      summary:
        'A new secret for the same key and settings; the old one works for gracePeriodSeconds (default 0), then stops by itself',
      parameters: [idempotencyKey],
      requestBody: { ...jsonBody(RegenerateKeyBody), required: false },
      responses: {
        '200': keyObject('the key object plus the new `key` (header Idempotent-Replayed: true on a replay)'),
        ...errors,
      },
    }),
  },
  ...keyLimitPaths,
  '/admin/v1/keys/{id}/disable': {
    post: policyWrite({
      summary: 'Suspend a key: refused with key_disabled until enabled',
      responses: { '200': keyObject('the key object'), ...errors },
    }),
  },
  '/admin/v1/keys/{id}/enable': {
    post: policyWrite({
      summary: 'Resume a disabled key',
      responses: { '200': keyObject('the key object'), ...errors },
    }),
  },
};
