import { createHash } from 'node:crypto';

/** The prev_hash of the first link. */
export const GENESIS_HASH = '0'.repeat(64);

/** The columns of an event row that a chain link covers, as text-stable values. */
export interface ChainedEvent {
  globalPosition: string;
  streamId: string;
  streamVersion: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: unknown;
  /** ISO 8601 with microseconds, UTC (`2026-11-24T13:05:00.123456Z`): Postgres keeps microseconds, a Date does not. */
  recordedAt: string;
}

/**
 * JSON with object keys sorted at every depth and no whitespace. jsonb reorders keys, so a hash
 * over the JSON as written would not survive a round trip through Postgres; this one does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`cannot canonicalize ${typeof value}`);
    return text;
  }
  if (Array.isArray(value))
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

/** hash = sha256(prev_hash || canonical(event)), hex. */
export function chainHash(prevHash: string, event: ChainedEvent): string {
  const row = {
    globalPosition: event.globalPosition,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt,
  };
  return createHash('sha256').update(prevHash).update(canonicalJson(row)).digest('hex');
}

/** One link as stored in `event_chain` or an export: the event, where it sits in the chain, and its hashes. */
export interface ChainLink {
  seq: string;
  event: ChainedEvent | null;
  prevHash: string;
  hash: string;
}

export type ChainBreakReason = 'event_modified' | 'event_missing' | 'chain_modified' | 'event_unsealed';

export interface ChainBreak {
  /** The global position of the first event that does not match. */
  position: string;
  seq: string | null;
  reason: ChainBreakReason;
}

/**
 * Checks links in seq order. Strict (the whole chain, from seq 1): every seq must follow the
 * previous one and every prev_hash the previous hash. Not strict (a filtered export): a link that
 * does not follow the previous seq starts a new run, so only its own hash is checked.
 */
export class ChainChecker {
  #prev: { seq: bigint; hash: string } | null;

  constructor(private readonly strict: boolean) {
    this.#prev = strict ? { seq: 0n, hash: GENESIS_HASH } : null;
  }

  /**
   * `contentShown: false`: the link's event is not as hashed (a redacted export line): only its place in the chain is
   * checked.
   */
  check(link: ChainLink, position: string, contentShown = true): ChainBreak | null {
    const seq = BigInt(link.seq);
    const follows = this.#prev !== null && seq === this.#prev.seq + 1n;
    const expectedPrev = follows ? this.#prev!.hash : link.prevHash;
    this.#prev = { seq, hash: link.hash };
    const broken = (reason: ChainBreakReason): ChainBreak => ({ position, seq: link.seq, reason });
    if (this.strict && !follows) return broken('chain_modified');
    if (!link.event) return broken('event_missing');
    if (link.prevHash !== expectedPrev) return broken('chain_modified');
    if (contentShown && chainHash(link.prevHash, link.event) !== link.hash) return broken('event_modified');
    return null;
  }
}
