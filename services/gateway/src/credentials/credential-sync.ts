import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subjects, type ProviderCredential } from '@sluice/contracts';
import { request } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import type { CredentialStore } from './credential-store';
import type { ResolvedCredential } from './resolved-credential';

const REQUEST_TIMEOUT_MS = 2000;
const MAX_RETRY_DELAY_MS = 2000;

/**
 * Keeps the credential store current: loads everything at start (retrying until key-registry
 * answers), reloads when a provider event is committed (the relay's JetStream publishes reach
 * core subscribers too) or after a reconnect (events may have been missed), and on a cache miss
 * for a provider a route names. Refreshes are coalesced: callers share a running one, and a
 * request made while one runs gets the next one, which starts after it and so sees newer state.
 */
export class CredentialSync {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private subscription: Subscription | null = null;
  private stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly store: CredentialStore,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.subscription = this.nc.subscribe(Subjects.providerEvents, {
      callback: () =>
        void this.refresh().catch((err) =>
          this.logger.warn({ err: (err as Error).message }, 'credential refresh after a provider event failed'),
        ),
    });
    void this.loadUntilAnswered();
    void this.refreshOnReconnect();
  }

  stop(): void {
    this.stopped = true;
    this.subscription?.unsubscribe();
  }

  /**
   * The credential for a routed provider. On a miss, or when policy routes to a newer secret
   * version or another base URL than the one held (a change whose event has not arrived yet),
   * one refresh, shared with concurrent callers; then whatever the store holds.
   */
  async resolve(
    providerId: string,
    secretVersion = 0,
    baseUrl?: string | null,
  ): Promise<ResolvedCredential | undefined> {
    const hit = this.store.get(providerId);
    if (hit && hit.secretVersion >= secretVersion && (baseUrl === undefined || hit.baseUrl === baseUrl)) return hit;
    await this.refresh().catch(() => undefined);
    return this.store.get(providerId);
  }

  refresh(): Promise<void> {
    if (this.running === null) {
      this.running = this.fetch().finally(() => (this.running = null));
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.refresh();
      });
    return this.queued;
  }

  private async fetch(): Promise<void> {
    const credentials = await request<ProviderCredential[]>(
      this.nc,
      Subjects.rpc.credentials,
      {},
      { timeoutMs: REQUEST_TIMEOUT_MS },
    );
    const unusable = this.store.replaceAll(credentials);
    if (unusable.length > 0)
      this.logger.warn({ providerIds: unusable }, 'provider credentials with an unusable base URL were skipped');
    this.logger.debug({ providers: this.store.size }, 'provider credentials loaded');
  }

  private async loadUntilAnswered(): Promise<void> {
    for (let attempt = 0; !this.stopped && !this.store.loaded; attempt++) {
      try {
        await this.refresh();
        this.logger.info({ providers: this.store.size }, 'provider credentials loaded');
        return;
      } catch (err) {
        if (attempt % 10 === 0)
          this.logger.warn({ err: (err as Error).message }, 'waiting for key-registry to send provider credentials');
        await sleep(Math.min(100 * 2 ** attempt, MAX_RETRY_DELAY_MS), undefined, { ref: false });
      }
    }
  }

  private async refreshOnReconnect(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (this.stopped) return;
      if (status.type === 'reconnect') void this.refresh().catch(() => undefined);
    }
  }
}
