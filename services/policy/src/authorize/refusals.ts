import type { OpenAiError } from '@sluice/contracts';

const unauthorized = (code: string, rule: string | null, message: string): OpenAiError => ({
  status: 401,
  type: 'invalid_request_error',
  code,
  param: null,
  message,
  ...(rule ? { rule } : {}),
});
const forbidden = (code: string, rule: string, message: string, param: string | null = null): OpenAiError => ({
  status: 403,
  type: 'request_forbidden',
  code,
  param,
  message,
  rule,
});

/**
 * Every refusal policy can give, OpenAI-shaped: a distinct `code` a program can act on, and the
 * key rule that refused the call in `rule` and at the end of the message.
 */
export const Refusals = {
  unknownKey: (): OpenAiError =>
    unauthorized(
      'invalid_api_key',
      null,
      'Incorrect API key provided. Ask your Sluice administrator for a valid virtual key.',
    ),
  retiredSecret: (since: number): OpenAiError =>
    unauthorized(
      'invalid_api_key',
      'regenerate',
      `Incorrect API key provided: this secret was replaced when the virtual key was regenerated and stopped working at ${new Date(since).toISOString()} (rule: regenerate).`,
    ),
  revoked: (): OpenAiError =>
    unauthorized('invalid_api_key', 'revoked', 'This virtual key has been revoked (rule: revoked).'),
  disabled: (): OpenAiError =>
    unauthorized(
      'key_disabled',
      'disabled',
      'This virtual key is disabled; an administrator can enable it again (rule: disabled).',
    ),
  expired: (expiresAt: number): OpenAiError =>
    unauthorized(
      'key_expired',
      'expiresAt',
      `This virtual key expired at ${new Date(expiresAt).toISOString()} (rule: expiresAt).`,
    ),
  ipNotAllowed: (ip: string): OpenAiError =>
    forbidden(
      'ip_not_allowed',
      'ipAllowlist',
      `This virtual key may not be used from the address ${ip === '' ? '(unknown)' : ip.slice(0, 64)} (rule: ipAllowlist).`,
    ),
  operationNotAllowed: (operation: string): OpenAiError =>
    forbidden(
      'operation_not_allowed',
      'operations',
      `This virtual key may not call the ${operation} operation (rule: operations).`,
    ),
  modelNotAllowed: (model: string): OpenAiError =>
    forbidden(
      'model_not_allowed',
      'models',
      `This virtual key may not use the model \`${model}\` (rule: models).`,
      'model',
    ),
  providerNotAllowed: (model: string): OpenAiError =>
    forbidden(
      'provider_not_allowed',
      'providerIds',
      `This virtual key may not use the provider that serves the model \`${model}\` (rule: providerIds).`,
      'model',
    ),
  modelNotFound: (model: string): OpenAiError => ({
    status: 404,
    type: 'invalid_request_error',
    code: 'model_not_found',
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    param: 'model',
  }),
  /** OpenAI's own refusal (and wording) for a cap above the model's maximum output, whichever cap field was sent. */
  maxTokensTooLarge: (
    asked: number,
    modelCap: number,
    param: 'max_tokens' | 'max_output_tokens' = 'max_tokens',
  ): OpenAiError => ({
    status: 400,
    type: 'invalid_request_error',
    code: 'invalid_value',
    param,
    message: `${param} is too large: ${asked}. This model supports at most ${modelCap} ${param === 'max_tokens' ? 'completion' : 'output'} tokens, whereas you provided ${asked}.`,
  }),
  providerMissing: (model: string): OpenAiError => ({
    status: 503,
    type: 'service_unavailable_error',
    code: 'provider_unavailable',
    message: `The provider configured for \`${model}\` is not available.`,
  }),
};
