import type { OpenAiError } from '@sluice/contracts';

/** Every refusal policy can give, OpenAI-shaped, each with a code a program can act on. */
export const Refusals = {
  unknownKey: (): OpenAiError => ({
    status: 401,
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'Incorrect API key provided. Ask your Sluice administrator for a valid virtual key.',
  }),
  revoked: (): OpenAiError => ({
    status: 401,
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'This virtual key has been revoked.',
  }),
  expired: (): OpenAiError => ({
    status: 401,
    type: 'invalid_request_error',
    code: 'key_expired',
    message: 'This virtual key has expired (rule: expiresAt).',
  }),
  operationNotAllowed: (operation: string): OpenAiError => ({
    status: 403,
    type: 'invalid_request_error',
    code: 'operation_not_allowed',
    message: `This virtual key may not call the ${operation} operation (rule: operations).`,
  }),
  modelNotAllowed: (model: string): OpenAiError => ({
    status: 403,
    type: 'invalid_request_error',
    code: 'model_not_allowed',
    message: `This virtual key may not use the model \`${model}\` (rule: models).`,
    param: 'model',
  }),
  modelNotFound: (model: string): OpenAiError => ({
    status: 404,
    type: 'invalid_request_error',
    code: 'model_not_found',
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    param: 'model',
  }),
  providerMissing: (model: string): OpenAiError => ({
    status: 503,
    type: 'service_unavailable_error',
    code: 'provider_unavailable',
    message: `The provider configured for \`${model}\` is not available.`,
  }),
};
