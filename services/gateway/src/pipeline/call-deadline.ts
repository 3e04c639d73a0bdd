import type { OpenAiError } from '@sluice/contracts';
import { upstreamTimeout } from '../errors/gateway-errors';

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
 * Serves a call under one deadline until its answer is read, JSON or not (a stream request can be
 * answered with JSON); a stream clears it once it flows, bounded by maxStreamMs instead.
 */
export async function withinDeadline<T>(ms: number, serve: (deadline: CallDeadline) => Promise<T>): Promise<T> {
  const deadline = new CallDeadline(ms);
  try {
    return await serve(deadline);
  } finally {
    deadline.clear();
  }
}
