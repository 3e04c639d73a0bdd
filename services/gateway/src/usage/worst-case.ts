import {
  callTokens,
  worstCaseTokens,
  type AllowedLimits,
  type CallEstimate,
  type Operation,
  type Route,
} from '@sluice/contracts';
import { NO_TOKENS, type TokenCounts } from './token-counts';

/** The most a call can be billed for: its prompt's bound, and the output cap × the choices. */
export interface WorstCase {
  inputTokens: number;
  outputTokens: number;
}

/**
 * The tokens a call may reach: policy's reserved worst case when the key has limits, else the same
 * rule applied here (the prompt's bound with its images; the caller's cap, else the model's from
 * the route, else the default, times the choices), so an absurd `max_tokens` is never believed.
 */
export function worstCaseOf(
  call: { op: Operation; limits?: AllowedLimits; route: Route },
  estimate: CallEstimate,
): WorstCase {
  const reserved = call.limits?.reservation?.worstCase;
  if (reserved) return reserved;
  const tokens = callTokens(call.op, estimate, {
    maxOutputTokens: call.route.maxOutputTokens ?? null,
    upstreamModel: call.route.upstreamModel,
  });
  return { inputTokens: tokens.inputBound, outputTokens: tokens.outputBound };
}

export interface Billed {
  tokens: TokenCounts;
  estimated: boolean;
}

/** A call the upstream refused or never received: providers bill no error. */
export const NOTHING_BILLED: Billed = Object.freeze({ tokens: NO_TOKENS, estimated: false });

type Unknown = { worstCase: WorstCase; route: Pick<Route, 'price'> };

/**
 * Tokens billed without the upstream's usage, priced as the reservation prices them: every prompt
 * token a (1-hour) cache write where that is dearer than plain input.
 */
export function unreportedTokens(route: Pick<Route, 'price'>, tokens: WorstCase): TokenCounts {
  const billable = route.price
    ? worstCaseTokens(tokens, route.price)
    : { inputTokens: tokens.inputTokens, cachedInputTokens: 0, outputTokens: tokens.outputTokens };
  return { ...billable, reasoningTokens: 0 };
}

/** Up to these tokens, priced as the reservation prices them. */
const atMost = (call: Unknown, worstCase: WorstCase): Billed => ({
  tokens: unreportedTokens(call.route, worstCase),
  estimated: true,
});

/**
 * A call whose answer the gateway could not read (too large, cut, silent, past its deadline): the
 * upstream served it and bills it in full, and what it generated is unknown, so it is billed its
 * worst case, flagged estimated — as the spool's recovery and policy's sweep bill such a call.
 */
export const worstCaseBilled = (call: Unknown): Billed => atMost(call, call.worstCase);

/**
 * A call the upstream held without answering until the gateway gave up (the headers deadline, the
 * call's deadline): it read the prompt. A non-streamed answer is generated before its headers are
 * sent, so it may be billed in full; a stream sends its headers before its first token, so a stream
 * that never started is billed its prompt.
 */
export const heldBilled = (call: Unknown & { stream: boolean }): Billed =>
  call.stream ? atMost(call, { inputTokens: call.worstCase.inputTokens, outputTokens: 0 }) : worstCaseBilled(call);
