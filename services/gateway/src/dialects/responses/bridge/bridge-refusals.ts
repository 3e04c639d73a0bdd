import type { OpenAiError } from '@sluice/contracts';

/** What a chat completions upstream cannot do for a Responses call: a 400 naming the parameter, never a silent drop. */
export const notBridged = (param: string, what: string): OpenAiError => ({
  status: 400,
  type: 'invalid_request_error',
  code: 'unsupported_parameter',
  param,
  message: `Unsupported parameter: '${param}'${what ? ` ${what}` : ''} is not supported with this model: its provider has no Responses API, and Sluice serves it through chat completions.`,
});

export const invalidItem = (param: string, message: string): OpenAiError => ({
  status: 400,
  type: 'invalid_request_error',
  code: 'invalid_value',
  param,
  message,
});
