import type { OpenAiError } from '@sluice/contracts';

/** Why a chat body cannot go to Anthropic: the 400 the client gets, naming the field. */
export interface Refusal {
  error: OpenAiError;
}

/** OpenAI's `unsupported_parameter` error, the one shape every Anthropic mapping refuses with. */
export const unsupportedParameter = (param: string, message: string): OpenAiError => ({
  status: 400,
  type: 'invalid_request_error',
  code: 'unsupported_parameter',
  param,
  message,
});

/** A part of the body Anthropic has no equivalent for. */
export const refuse = (param: string, message: string): Refusal => ({
  error: unsupportedParameter(param, `${message} (this model's provider is Anthropic).`),
});
