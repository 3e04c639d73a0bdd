import type { NatsConnection } from '@nats-io/transport-node';
import type { Readiness } from '@sluice/service';
import type { CredentialStore } from '../credentials/credential-store';

/** Ready when NATS is connected and the provider credentials have been loaded at least once. */
export class GatewayReadiness implements Readiness {
  private connected = true;

  constructor(
    private readonly nc: NatsConnection,
    private readonly credentials: CredentialStore,
  ) {
    void this.follow();
  }

  isReady(): boolean {
    return this.connected && !this.nc.isClosed() && this.credentials.loaded;
  }

  private async follow(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') this.connected = false;
      else if (status.type === 'reconnect') this.connected = true;
    }
  }
}
