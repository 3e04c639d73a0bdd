import type { Msg, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { newInbox } from './connection';

interface Pending {
  subject: string;
  resolve(msg: Msg): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** No one answers on the subject: the server says so at once (a 503 status) instead of letting the request time out. */
export class NoResponders extends Error {}
/** No answer within the request's time. */
export class RequestTimedOut extends Error {}
/** The connection's NATS user may not publish the request (or receive its answer). */
export class RequestNotPermitted extends Error {}

const muxes = new WeakMap<NatsConnection, RequestMux>();

/**
 * Request/reply over one reply subscription per connection (`<inbox>.<token>`, a wildcard). nats.js's
 * own `request` does the same bookkeeping with more per request — a deferred, a request object, and an
 * Error it builds for every finished request — which on the hot path (every call's authorize and
 * usage publish) cost the gateway ~4 % of its CPU.
 */
export class RequestMux {
  readonly #prefix: string;
  readonly #pending = new Map<string, Pending>();
  #next = 0;

  static of(nc: NatsConnection): RequestMux {
    let mux = muxes.get(nc);
    if (!mux) muxes.set(nc, (mux = new RequestMux(nc)));
    return mux;
  }

  private constructor(private readonly nc: NatsConnection) {
    this.#prefix = `${newInbox(nc)}.`;
    nc.subscribe(`${this.#prefix}*`, {
      callback: (err, msg) => {
        if (!err) this.#answer(msg);
      },
    });
    void this.#refusals();
  }

  /** A request its user may not make fails at once, as nats.js's own would, instead of timing out. */
  async #refusals(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type !== 'error') continue;
      const err = status.error as { name?: string; operation?: string; subject?: string; message?: string };
      if (err?.name !== 'PermissionViolationError') continue;
      const ours = err.operation === 'subscription' && err.subject === `${this.#prefix}*`;
      for (const [token, pending] of this.#pending)
        if (ours || (err.operation === 'publish' && pending.subject === err.subject))
          this.#settle(token, pending, () =>
            pending.reject(new RequestNotPermitted(err.message ?? 'Permissions Violation')),
          );
    }
  }

  #settle(token: string, pending: Pending, how: () => void): void {
    this.#pending.delete(token);
    clearTimeout(pending.timer);
    how();
  }

  request(subject: string, data: Uint8Array, timeoutMs: number, headers?: MsgHdrs): Promise<Msg> {
    const token = (this.#next++).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(token);
        reject(new RequestTimedOut(`timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(token, { subject, resolve, reject, timer });
      try {
        this.nc.publish(subject, data, { reply: this.#prefix + token, headers });
      } catch (err) {
        clearTimeout(timer);
        this.#pending.delete(token);
        reject(err as Error);
      }
    });
  }

  #answer(msg: Msg): void {
    const token = msg.subject.slice(this.#prefix.length);
    const pending = this.#pending.get(token);
    if (!pending) return; // timed out already
    this.#settle(token, pending, () =>
      msg.data.length === 0 && msg.headers?.code === 503
        ? pending.reject(new NoResponders('no responders'))
        : pending.resolve(msg),
    );
  }
}
