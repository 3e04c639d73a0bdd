import type { FastifyReply } from 'fastify';
import type { OpenAiError } from '@sluice/contracts';
import { settleTokens } from '../usage/estimate';
import type { CallFacts, CallResult } from '../usage/usage-message';
import { upstreamTimeout } from './openai-errors';
import { sendError } from './send-error';

/**
 * A non-streamed call's one deadline, from the upstream request to the last byte of its answer
 * (the upstream's own timeouts only bound each wait, so a slow drip could last for ever). Its
 * signal aborts the upstream request at whatever stage it is in.
 */
export class CallDeadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly ms: number) {
    this.#timer = setTimeout(() => this.#controller.abort(), ms);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get passed(): boolean {
    return this.#controller.signal.aborted;
  }

  get error(): OpenAiError {
    return upstreamTimeout(this.ms);
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

/**
 * The answer to a call cut at its deadline: a 504, and the prompt billed as an estimate (the
 * upstream read it; whatever it generated before the cut was never seen).
 */
export function answerTimedOut(reply: FastifyReply, call: CallFacts, body: Record<string, unknown>, deadline: CallDeadline): Omit<CallResult, 'latencyMs'> {
  sendError(reply, call.requestId, deadline.error);
  return { status: deadline.error.status, ...settleTokens(call.op, body, null, 0), ttfbMs: null };
}
