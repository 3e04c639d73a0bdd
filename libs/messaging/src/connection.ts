import { readFileSync } from 'node:fs';
import {
  connect,
  createInbox,
  credsAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Streams } from '@sluice/contracts';

export type { NatsConnection };

export async function connectNats(
  url: string,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<NatsConnection> {
  // Async stack traces cost an Error allocation per request on the hot path.
  return connect({
    servers: url,
    name,
    inboxPrefix: inboxPrefixOf(name),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    noAsyncTraces: true,
    ...securityOf(env),
  });
}

/**
 * Where replies to a connection's requests arrive (`_INBOX.<name>.…`). Per service, so a NATS
 * user may be allowed to subscribe to its own replies only, not to the decrypted credentials
 * key-registry sends the gateway.
 */
export function inboxPrefixOf(name: string): string {
  return `_INBOX.${name}`;
}

/** A new reply subject under the connection's own inbox prefix. */
export function newInbox(nc: NatsConnection): string {
  return createInbox((nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix);
}

/**
 * A production NATS asks for more than an address: a user, as `NATS_USER` + `NATS_PASSWORD` or
 * `NATS_CREDS` (a user credentials file), for per-service users that restrict who may request
 * decrypted credentials, and `NATS_TLS_CA`, `NATS_TLS_CERT` + `NATS_TLS_KEY` (a private CA and a
 * client certificate for `verify: true`).
 */
export function securityOf(env: NodeJS.ProcessEnv): Partial<NodeConnectionOptions> {
  const options: Partial<NodeConnectionOptions> = {};
  if (env.NATS_USER) {
    options.user = env.NATS_USER;
    options.pass = env.NATS_PASSWORD ?? '';
  }
  if (env.NATS_CREDS) options.authenticator = credsAuthenticator(readFileSync(env.NATS_CREDS));
  if (env.NATS_TLS_CA || env.NATS_TLS_CERT) {
    options.tls = {
      ...(env.NATS_TLS_CA ? { caFile: env.NATS_TLS_CA } : {}),
      ...(env.NATS_TLS_CERT ? { certFile: env.NATS_TLS_CERT, keyFile: env.NATS_TLS_KEY } : {}),
    };
  }
  return options;
}

const TWO_MINUTES_NS = 120_000_000_000;
const SEVEN_DAYS_NS = 7 * 24 * 3600 * 1_000_000_000;

/**
 * Creates the JetStream streams if they are missing. All are file-backed; settings for a
 * clustered production server (replicas, sync) live in deploy/.
 */
export async function ensureStreams(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const wanted = [
    { name: Streams.events.name, subjects: [...Streams.events.subjects], duplicate_window: TWO_MINUTES_NS },
    {
      name: Streams.usage.name,
      subjects: [...Streams.usage.subjects],
      duplicate_window: TWO_MINUTES_NS,
      max_age: SEVEN_DAYS_NS,
    },
    {
      name: Streams.responses.name,
      subjects: [...Streams.responses.subjects],
      duplicate_window: TWO_MINUTES_NS,
      max_age: SEVEN_DAYS_NS,
    },
    // No max age: a dead letter waits for a person.
    { name: Streams.deadLetters.name, subjects: [...Streams.deadLetters.subjects], duplicate_window: TWO_MINUTES_NS },
  ];
  for (const config of wanted) {
    try {
      await jsm.streams.info(config.name);
    } catch {
      try {
        await jsm.streams.add(config);
      } catch (err) {
        // Another service may have created it between our check and our add.
        await jsm.streams.info(config.name).catch(() => Promise.reject(err));
      }
    }
  }
}

/** A probe for the metrics: whether the connection is up now (not closed, not between a disconnect and a reconnect). */
export function connectedProbe(nc: NatsConnection): () => boolean {
  let up = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') up = false;
      else if (status.type === 'reconnect') up = true;
    }
  })().catch(() => undefined);
  return () => up && !nc.isClosed();
}
