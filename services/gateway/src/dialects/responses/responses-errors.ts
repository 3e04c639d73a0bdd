import type { OpenAiError } from '@sluice/contracts';

/** OpenAI's answer for a response id it does not have; another key's id gets exactly this. */
export const responseNotFound = (id: string): OpenAiError => ({
  status: 404,
  type: 'invalid_request_error',
  code: null,
  param: null,
  message: `Response with id '${id.slice(0, 256)}' not found.`,
});

/** The same for `previous_response_id`. */
export const previousResponseNotFound = (id: string): OpenAiError => ({
  status: 404,
  type: 'invalid_request_error',
  code: 'previous_response_not_found',
  param: 'previous_response_id',
  message: `Previous response with id '${id.slice(0, 256)}' not found.`,
});

/** A stored response that the routed provider cannot continue: its conversation lives elsewhere. */
export const previousElsewhere = (id: string, where: string): OpenAiError => ({
  status: 400,
  type: 'invalid_request_error',
  code: 'invalid_value',
  param: 'previous_response_id',
  message: `Previous response with id '${id.slice(0, 256)}' cannot be continued with this model: ${where}. Continue it with a model of the same provider, or send the conversation as input.`,
});

/** The response store (metering) did not answer: retry, never a "not found". */
export const storeUnavailable: OpenAiError = {
  status: 503,
  type: 'service_unavailable_error',
  code: 'service_unavailable',
  param: null,
  message: 'The gateway could not reach its response store. Please retry shortly.',
};

/** A bridged turn Sluice could not keep within one NATS message. */
export const tooLargeToStore = (bytes: number, max: number): OpenAiError => ({
  status: 400,
  type: 'invalid_request_error',
  code: 'invalid_value',
  param: 'input',
  message: `This input is too large for Sluice to store for a later turn (${bytes} bytes; at most ${max}). Send it with store: false (and the conversation as input), or ask an administrator to raise the NATS max_payload.`,
});
