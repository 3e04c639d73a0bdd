import type { OpenAiError, Operation } from '@sluice/contracts';

/** Tiers billed at the standard price, the only one a catalog entry has (`priority` is ~2×, `flex` ~0.5×). */
const STANDARD_TIERS = new Set(['auto', 'default']);

const refused = (param: string, code: string, message: string): OpenAiError => ({
  status: 400,
  type: 'invalid_request_error',
  param,
  code,
  message,
});

/**
 * Parameters that change what the provider invoices for the same tokens, which Sluice's catalog
 * cannot price: a service tier other than the standard one, and audio output (billed per audio
 * token at its own rate). Refused rather than billed at the text price; a `prediction` is accepted
 * (its rejected tokens are output, counted in the reservation: usage/estimate.ts).
 */
export function billingParamsError(op: Operation, body: Record<string, unknown>): OpenAiError | null {
  const tier = body.service_tier;
  if (tier !== undefined && tier !== null && !(typeof tier === 'string' && STANDARD_TIERS.has(tier))) {
    return refused(
      'service_tier',
      'unsupported_value',
      `Unsupported value: 'service_tier' must be 'auto' or 'default' here: Sluice bills every call at its model's standard price, and other tiers are invoiced at other prices.`,
    );
  }
  if (op !== 'chat') return null;
  if (Array.isArray(body.modalities) && body.modalities.includes('audio')) {
    return refused(
      'modalities',
      'unsupported_value',
      "Unsupported value: 'modalities' does not support 'audio' here: Sluice's model catalog prices text only, and audio output is invoiced at its own rate.",
    );
  }
  if (body.audio !== undefined && body.audio !== null) {
    return refused(
      'audio',
      'unsupported_parameter',
      "Unsupported parameter: 'audio' is not supported here: Sluice's model catalog prices text only, and audio output is invoiced at its own rate.",
    );
  }
  return null;
}
