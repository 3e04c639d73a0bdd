import { CreateProviderBody, RotateProviderBody, UpdateProviderBody } from '@sluice/contracts';
import { policyWrite } from '../changes/changes.openapi';
import { errors, jsonBody, ok, type Paths } from '../openapi/openapi-helpers';

export const providerPaths: Paths = {
  '/admin/v1/providers': {
    post: policyWrite({
      summary: 'Add a provider credential',
      description:
        'baseUrl must be http(s), without credentials, and reach only public addresses unless SLUICE_UPSTREAM_ALLOW allows it (else 400 PROVIDER.URL_NOT_ALLOWED). supportsResponses (openai-compatible only): the server has /v1/responses, so Sluice forwards Responses calls to it natively instead of bridging them to chat completions.',
      requestBody: jsonBody(CreateProviderBody),
      responses: { '201': ok('the provider, never its secret'), ...errors },
    }),
    get: { summary: 'List provider credentials', responses: { '200': ok('{data}'), ...errors } },
  },
  '/admin/v1/providers/{id}': {
    get: { summary: 'Read a provider credential', responses: { '200': ok('the provider'), ...errors } },
    patch: policyWrite({
      summary: 'Change the name, base URL and/or whether an openai-compatible server has the Responses API',
      description:
        'A new baseUrl is checked as at creation (400 PROVIDER.URL_NOT_ALLOWED); supportsResponses is for openai-compatible providers only. The event records before and after.',
      requestBody: jsonBody(UpdateProviderBody),
      responses: { '200': ok('the provider'), ...errors },
    }),
    delete: policyWrite({
      summary: 'Remove a provider credential and destroy its secrets',
      description: 'Refused with 409 PROVIDER.IN_USE while a catalog model routes to it.',
      responses: { '204': ok('removed'), ...errors },
    }),
  },
  '/admin/v1/providers/{id}/rotate': {
    post: policyWrite({
      summary: 'Rotate the provider secret',
      description:
        'Stores the new secret as the next vault version, in force on every gateway from the next call on. Virtual keys are not touched.',
      requestBody: jsonBody(RotateProviderBody),
      responses: { '200': ok('the provider with the new apiKeyHint'), ...errors },
    }),
  },
  '/admin/v1/vault/rewrap': {
    post: {
      summary: 'Re-wrap every vault data key under the current key-encryption key',
      description:
        'Run after adding a new SLUICE_MASTER_KEYS version to every key-registry; safe while serving and safe to repeat.',
      responses: {
        '200': ok('{kekVersion, rows, rewrapped, alreadyCurrent, failed: [{providerId, secretVersion, reason}]}'),
        ...errors,
      },
    },
  },
};
