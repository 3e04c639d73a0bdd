/**
 * Misbehaviour on demand, chosen by the model name the caller sends (a gateway sends its route's
 * upstream model, so a test picks a fault by routing to one of these names):
 * - `error-<status>`: an OpenAI-shaped error with that status (a 401 echoes part of the key, as OpenAI does);
 * - `error-html-<status>`: that status with an HTML body, as a misconfigured proxy answers;
 * - `redirect`: a 302 to another host, which a gateway must never follow;
 * - `cut-<n>`: a stream that drops the connection after its headers and n chunks (non-streams: at once);
 * - `slow-<ms>`: a normal answer that starts only after that many milliseconds;
 * - `hold-<gate>`: a normal answer that starts only once the test opens that gate
 *   (`MockUpstream.release`), so a call stays in flight exactly as long as a test needs it to.
 */
export type Fault =
  | { kind: 'error'; status: number }
  | { kind: 'html'; status: number }
  | { kind: 'redirect' }
  | { kind: 'cut'; after: number }
  | { kind: 'slow'; ms: number }
  | { kind: 'hold'; gate: string };

export function faultFor(model: string): Fault | null {
  if (model.startsWith('error-html-')) return { kind: 'html', status: Number(model.slice(11)) || 502 };
  if (model.startsWith('error-')) return { kind: 'error', status: Number(model.slice(6)) || 500 };
  if (model === 'redirect') return { kind: 'redirect' };
  if (model.startsWith('cut-')) return { kind: 'cut', after: Number(model.slice(4)) || 0 };
  if (model.startsWith('slow-')) return { kind: 'slow', ms: Number(model.slice(5)) || 0 };
  if (model.startsWith('hold-')) return { kind: 'hold', gate: model.slice(5) };
  return null;
}

export function errorBody(
  status: number,
  authorization: string | undefined,
): { type: string; code: string | null; message: string } {
  switch (status) {
    case 401: {
      const key = (authorization ?? '').replace(/^Bearer\s+/i, '');
      return {
        type: 'invalid_request_error',
        code: 'invalid_api_key',
        message: `Incorrect API key provided: ${key.slice(0, 8)}***${key.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      };
    }
    case 404:
      return {
        type: 'invalid_request_error',
        code: 'model_not_found',
        message: 'The model does not exist or you do not have access to it.',
      };
    case 429:
      return {
        type: 'requests',
        code: 'rate_limit_exceeded',
        message: 'Rate limit reached for requests per min (RPM). Please try again in 1s.',
      };
    case 503:
      return {
        type: 'service_unavailable_error',
        code: 'server_is_overloaded',
        message: 'The server is overloaded. Please try again later.',
      };
    default:
      return status >= 500
        ? {
            type: 'server_error',
            code: null,
            message: 'The server had an error while processing your request. Sorry about that!',
          }
        : {
            type: 'invalid_request_error',
            code: null,
            message: `Mock upstream refused the request with status ${status}.`,
          };
  }
}

/** The gates `hold-<gate>` calls wait at: closed until a test opens one, then open for good. */
export class Gates {
  readonly #open = new Set<string>();
  readonly #waiting = new Map<string, (() => void)[]>();

  wait(gate: string): Promise<void> {
    if (this.#open.has(gate)) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.set(gate, [...(this.#waiting.get(gate) ?? []), resolve]));
  }

  waiting(gate: string): number {
    return this.#waiting.get(gate)?.length ?? 0;
  }

  release(gate: string): void {
    this.#open.add(gate);
    for (const resolve of this.#waiting.get(gate) ?? []) resolve();
    this.#waiting.delete(gate);
  }
}
