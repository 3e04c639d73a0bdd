import { Agent, request } from 'undici';
import {
  checkUpstreamUrl,
  guardedConnector,
  systemResolver,
  UpstreamAllowList,
  type BaseLookup,
  type ResolveHost,
} from '@sluice/net-policy';
import { signature } from './budget-notification';
import { countDelivery } from './webhook-metrics';

export interface WebhookSenderOptions {
  allow?: UpstreamAllowList;
  resolve?: ResolveHost;
  lookup?: BaseLookup;
  /** Signs each body: every delivery is signed, so a receiver can tell Sluice's from anyone's. */
  secret: string;
  timeoutMs?: number;
}

export type SendResult =
  | { ok: true; status: number }
  | { ok: false; status: number | null; reason: string; permanent: boolean };

/**
 * POSTs signed JSON to admin-chosen URLs under the same SSRF policy as provider base URLs: the URL
 * is checked before each send, every new connection is checked again on the addresses it really
 * uses (DNS rebinding), and no redirect is followed (undici's request follows none by itself).
 */
export class WebhookSender {
  readonly #agent: Agent;
  readonly #allow: UpstreamAllowList;
  readonly #resolve: ResolveHost;

  constructor(private readonly opts: WebhookSenderOptions) {
    this.#allow = opts.allow ?? UpstreamAllowList.none;
    this.#resolve = opts.resolve ?? systemResolver;
    this.#agent = new Agent({ connections: 16, connect: guardedConnector(this.#allow, opts.lookup) });
  }

  async send(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const result = await this.#send(url, body, headers);
    countDelivery(result);
    return result;
  }

  async #send(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const check = await checkUpstreamUrl(url, this.#allow, this.#resolve);
    if (!check.ok) return { ok: false, status: null, reason: `not allowed: ${check.reason}`, permanent: true };
    const timestamp = Math.floor(Date.now() / 1000);
    const signed = {
      'x-sluice-timestamp': String(timestamp),
      'x-sluice-signature': signature(body, this.opts.secret, timestamp),
    };
    const timeout = this.opts.timeoutMs ?? 10_000;
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.#agent,
        headers: { 'content-type': 'application/json', 'user-agent': 'sluice-webhook/1', ...headers, ...signed },
        body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, status: res.statusCode };
      return { ok: false, status: res.statusCode, reason: `HTTP ${res.statusCode}`, permanent: false };
    } catch (err) {
      // Error messages name the host and address at most (net-policy's and undici's), never the path.
      return { ok: false, status: null, reason: (err as Error).message, permanent: false };
    }
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}
