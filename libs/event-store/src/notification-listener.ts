import { Client } from 'pg';
import type { Logger } from './types';

const RECONNECT_MS = 1000;

/**
 * Holds a dedicated connection LISTENing on one channel (a pooled connection would lose the
 * LISTEN when returned). Reconnects after a failure; callers poll anyway, so a gap only delays.
 */
export class NotificationListener {
  #client: Client | null = null;
  #connecting: Promise<void> | null = null;
  #reconnect: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly channel: string,
    private readonly onNotify: () => void,
    private readonly logger: Logger,
  ) {}

  start(): Promise<void> {
    this.#connecting = this.#connect();
    return this.#connecting;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#reconnect) clearTimeout(this.#reconnect);
    await this.#connecting;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl });
    client.on('notification', () => this.onNotify());
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, new Error('connection ended')));
    this.#client = client;
    try {
      await client.connect();
      await client.query(`listen ${this.channel}`);
      // Notifications sent while we were disconnected are gone: make the caller look now.
      this.onNotify();
    } catch (err) {
      this.#lost(client, err);
    }
  }

  #lost(client: Client, err: unknown): void {
    if (this.#stopped || this.#client !== client) return;
    this.#client = null;
    client.end().catch(() => {});
    this.logger.warn('event listener lost its connection; polling until it reconnects', {
      error: err instanceof Error ? err.message : String(err),
    });
    this.#reconnect = setTimeout(() => {
      this.#reconnect = null;
      if (!this.#stopped) this.#connecting = this.#connect();
    }, RECONNECT_MS);
  }
}
