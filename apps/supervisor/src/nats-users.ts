import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Consumers, Streams, Subjects } from '@sluice/contracts';
import { writePrivateFile, type NatsPermissions, type NatsUser } from '@sluice/embedded';
import { inboxPrefixOf } from '@sluice/messaging';
import { SERVICE_NAMES, type ServiceName } from './service-names';

const API = '$JS.API';
const {
  events: EVENTS,
  usage: USAGE,
  responses: RESPONSES,
  deadLetters: DEAD_LETTERS,
} = {
  events: Streams.events.name,
  usage: Streams.usage.name,
  responses: Streams.responses.name,
  deadLetters: Streams.deadLetters.name,
};

/** ensureStreams: look each stream up, create it when missing. */
const ENSURE_STREAMS = [
  `${API}.INFO`,
  ...[EVENTS, USAGE, RESPONSES, DEAD_LETTERS].flatMap((s) => [`${API}.STREAM.INFO.${s}`, `${API}.STREAM.CREATE.${s}`]),
];

/**
 * Reading a stream through consumers of one's own (durable or ordered): create, look up, pull, acknowledge, replace.
 */
const readStream = (stream: string) => [
  `${API}.STREAM.INFO.${stream}`,
  `${API}.CONSUMER.CREATE.${stream}`,
  `${API}.CONSUMER.CREATE.${stream}.>`,
  `${API}.CONSUMER.DURABLE.CREATE.${stream}.>`,
  `${API}.CONSUMER.INFO.${stream}.>`,
  `${API}.CONSUMER.DELETE.${stream}.>`,
  `${API}.CONSUMER.MSG.NEXT.${stream}.>`,
  `$JS.ACK.${stream}.>`,
];

/** The replies to a service's own requests, and no one else's (see connectNats). */
const inbox = (service: ServiceName) => `${inboxPrefixOf(service)}.>`;
/** Any policy partition's own subjects (`Subjects.rpc.authorizeIn`, `policyIn`). */
const ANY_PARTITION = 'sluice.rpc.policy.*.*';
const unique = (subjects: string[]) => [...new Set(subjects)];

/**
 * What each service may do on NATS: exactly the subjects its code publishes and subscribes to
 * (docs/security.md#nats-users-and-permissions). The two that matter most: decrypted provider
 * credentials go only to the gateway, and only key-registry writes events.
 */
export const NATS_PERMISSIONS: Record<ServiceName, NatsPermissions> = {
  gateway: {
    publish: {
      allow: [
        Subjects.rpc.authorize,
        Subjects.rpc.authorizeIn(0).replace('.p0.', '.*.'),
        Subjects.rpc.checkKey,
        Subjects.rpc.listModels,
        Subjects.rpc.policyCancel,
        Subjects.rpc.policySettle,
        // Quota leases: a leased call started, a lease handed back.
        Subjects.rpc.policyLeaseCall,
        Subjects.rpc.policyLeaseReturn,
        Subjects.rpc.credentials,
        Subjects.usage,
        // The Responses API: a key's own stored responses (policy's access check, metering's store).
        Subjects.rpc.policyAccess,
        Subjects.rpc.responseLookup,
        Subjects.rpc.responseDelete,
        Subjects.responseStored,
      ],
    },
    subscribe: {
      allow: [inbox('gateway'), Subjects.providerEvents, Subjects.gatewayInFlight, Subjects.gatewayLeaseRevoke],
    },
    // A gateway answers a starting policy's in-flight question in as many parts as it needs.
    responses: { max: 1000, expires: '1m' },
  },
  policy: {
    publish: {
      allow: unique([
        ANY_PARTITION,
        Subjects.rpc.keyRegistry('record-budget-threshold'),
        Subjects.gatewayInFlight,
        Subjects.gatewayLeaseRevoke,
        // A reservation never settled is charged by publishing its worst case as usage.
        Subjects.usage,
        ...ENSURE_STREAMS,
        ...readStream(EVENTS),
        ...readStream(USAGE),
      ]),
    },
    // Policy reads every event through JetStream; a plain subscription to them shows it nothing more.
    subscribe: { allow: [inbox('policy'), 'sluice.rpc.policy.>', Subjects.events] },
    responses: true,
  },
  'key-registry': {
    publish: { allow: unique([Subjects.events, ...ENSURE_STREAMS, ...readStream(EVENTS)]) },
    subscribe: { allow: [inbox('key-registry'), Subjects.rpc.keyRegistry('>')] },
    responses: true,
  },
  metering: {
    publish: {
      allow: unique([
        Subjects.usageDeadLetter,
        ...ENSURE_STREAMS,
        ...readStream(USAGE),
        `${API}.STREAM.MSG.GET.${USAGE}`,
        ...readStream(RESPONSES),
        Subjects.rpc.responsesFlush,
      ]),
    },
    subscribe: {
      allow: [
        inbox('metering'),
        `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${USAGE}.${Consumers.meteringUsage}`,
        Subjects.rpc.responseLookup,
        Subjects.rpc.responseDelete,
        Subjects.rpc.responsesFlush,
      ],
    },
    // Metering answers the gateway's questions about a key's stored responses.
    responses: true,
  },
  'admin-api': {
    publish: {
      allow: [
        Subjects.rpc.keyRegistry('*'),
        Subjects.rpc.policyKeyState,
        Subjects.rpc.policyExplain,
        Subjects.rpc.policySimulate,
        Subjects.rpc.policySync,
        // The metering lag gauges.
        `${API}.INFO`,
        `${API}.CONSUMER.INFO.${USAGE}.${Consumers.meteringUsage}`,
        `${API}.STREAM.MSG.GET.${USAGE}`,
      ],
      deny: [Subjects.rpc.credentials],
    },
    subscribe: { allow: [inbox('admin-api')] },
  },
};

/** Each service's user, named after it, with the given passwords. */
export function natsUsers(passwords: Record<ServiceName, string>): NatsUser[] {
  return SERVICE_NAMES.map((service) => ({
    user: service,
    password: passwords[service],
    permissions: NATS_PERMISSIONS[service],
  }));
}

/** `$SLUICE_NATS_ADMIN_API_PASSWORD`: where deploy/ configurations take a service's password from. */
export const natsPasswordVariable = (service: ServiceName) =>
  `SLUICE_NATS_${service.toUpperCase().replace(/-/g, '_')}_PASSWORD`;

/** What `npm start` keeps about its embedded NATS: the URL it served on last and each service's password. */
export interface SavedNatsUsers {
  url?: string;
  passwords: Record<ServiceName, string>;
}

const FILE = 'nats-users.json';

/** The saved passwords, with new ones for services that have none yet (an older data folder has none at all). */
export function loadNatsPasswords(dataDir: string): Record<ServiceName, string> {
  const saved = readNatsUsers(dataDir)?.passwords;
  return Object.fromEntries(
    SERVICE_NAMES.map((s) => [s, saved?.[s] || randomBytes(24).toString('base64url')]),
  ) as Record<ServiceName, string>;
}

export function saveNatsUsers(dataDir: string, users: SavedNatsUsers): void {
  writePrivateFile(join(dataDir, FILE), `${JSON.stringify(users, null, 2)}\n`);
}

/** `$SLUICE_DATA_DIR/nats-users.json` (mode 0600), written by the runner that started the embedded NATS. */
export function readNatsUsers(dataDir: string): SavedNatsUsers | undefined {
  const file = join(dataDir, FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SavedNatsUsers) : undefined;
}
