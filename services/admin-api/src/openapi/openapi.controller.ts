import { Controller, Get } from '@nestjs/common';
import { z } from 'zod';
import { CreateKeyBody, CreateModelBody, CreateProviderBody } from '@sluice/contracts';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
const body = (s: z.ZodType) => ({ required: true, content: { 'application/json': { schema: schema(s) } } });
const ok = (description: string) => ({ description });
const errors = { '400': ok('invalid input: {error: {code, message, param}}'), '401': ok('missing or wrong admin token'), '404': ok('not found'), '409': ok('conflict') };

/** The admin API's OpenAPI document, generated from the same schemas that validate requests. */
const document = {
  openapi: '3.1.0',
  info: { title: 'Sluice admin API', version: '1' },
  components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
  security: [{ adminToken: [] }],
  paths: {
    '/admin/v1/keys': {
      post: { summary: 'Create a virtual key (the secret is shown once)', requestBody: body(CreateKeyBody), responses: { '201': ok('the key object plus `key`'), ...errors } },
      get: { summary: 'List keys (?status=&cursor=&limit=)', responses: { '200': ok('{data, nextCursor}'), ...errors } },
    },
    '/admin/v1/keys/{id}': {
      get: { summary: 'Read a key with its usage', responses: { '200': ok('the key object'), ...errors } },
      delete: { summary: 'Revoke a key for good', responses: { '200': ok('the revoked key object'), ...errors } },
    },
    '/admin/v1/providers': {
      post: { summary: 'Add a provider credential', requestBody: body(CreateProviderBody), responses: { '201': ok('the provider, never its secret'), ...errors } },
      get: { summary: 'List provider credentials', responses: { '200': ok('{data}'), ...errors } },
    },
    '/admin/v1/providers/{id}': { get: { summary: 'Read a provider credential', responses: { '200': ok('the provider'), ...errors } } },
    '/admin/v1/models': {
      post: { summary: 'Add a catalog model', requestBody: body(CreateModelBody), responses: { '201': ok('the model'), ...errors } },
      get: { summary: 'List the catalog', responses: { '200': ok('{data}'), ...errors } },
    },
    '/admin/v1/models/{name}': {
      get: { summary: 'Read a catalog model', responses: { '200': ok('the model'), ...errors } },
      delete: { summary: 'Remove a catalog model', responses: { '204': ok('removed'), ...errors } },
    },
  },
};

@Controller('admin/v1')
export class OpenApiController {
  @Get('openapi.json')
  openapi() {
    return document;
  }
}
