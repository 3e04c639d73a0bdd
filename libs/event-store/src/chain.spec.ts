import { canonicalJson, chainHash, ChainChecker, type ChainedEvent, type ChainLink, GENESIS_HASH } from './chain';

const event = (n: number, data: unknown = { n }): ChainedEvent => ({
  globalPosition: String(n),
  streamId: `key-${n}`,
  streamVersion: 1,
  eventId: `00000000-0000-4000-8000-00000000000${n}`,
  type: 'KeyCreated',
  schemaVersion: 1,
  data,
  metadata: { actor: 'admin', occurredAt: '2026-11-24T13:00:00.000Z' },
  recordedAt: '2026-11-24T13:00:00.123456Z',
});

function chainOf(events: ChainedEvent[]): ChainLink[] {
  let prev = GENESIS_HASH;
  return events.map((e, i) => {
    const hash = chainHash(prev, e);
    const link = { seq: String(i + 1), event: e, prevHash: prev, hash };
    prev = hash;
    return link;
  });
}

const firstBreak = (links: ChainLink[], strict = true) => {
  const checker = new ChainChecker(strict);
  for (const link of links) {
    const broken = checker.check(link, link.event?.globalPosition ?? '?');
    if (broken) return broken;
  }
  return null;
};

describe('canonicalJson', () => {
  it('gives the same text whatever order the keys come in, at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ a: { c: 'x', d: [1, { y: 2, z: 1 }] }, b: 1 })).toBe(
      canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' } }),
    );
  });

  it('escapes strings as JSON does and keeps null, booleans and numbers', () => {
    expect(canonicalJson({ s: 'line\n"quoted"', n: null, t: true, x: 1.5 })).toBe(
      '{"n":null,"s":"line\\n\\"quoted\\"","t":true,"x":1.5}',
    );
  });
});

describe('chainHash', () => {
  it('is a sha256 hex that changes with the previous hash and with any field of the event', () => {
    const base = chainHash(GENESIS_HASH, event(1));
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(GENESIS_HASH, { ...event(1) })).toBe(base);
    expect(chainHash('f'.repeat(64), event(1))).not.toBe(base);
    expect(chainHash(GENESIS_HASH, event(1, { n: 2 }))).not.toBe(base);
    expect(chainHash(GENESIS_HASH, { ...event(1), recordedAt: '2026-11-24T13:00:00.123457Z' })).not.toBe(base);
    expect(
      chainHash(GENESIS_HASH, {
        ...event(1),
        metadata: { actor: 'someone-else', occurredAt: '2026-11-24T13:00:00.000Z' },
      }),
    ).not.toBe(base);
  });
});

describe('ChainChecker', () => {
  it('given an untouched chain, finds no break', () => {
    expect(firstBreak(chainOf([event(1), event(2), event(3)]))).toBeNull();
  });

  it('given an event edited after sealing, names that event', () => {
    const links = chainOf([event(1), event(2), event(3)]);
    links[1] = { ...links[1], event: event(2, { n: 99 }) };
    expect(firstBreak(links)).toEqual({ position: '2', seq: '2', reason: 'event_modified' });
  });

  it('given a deleted event, names its position', () => {
    const links = chainOf([event(1), event(2), event(3)]);
    links[2] = { ...links[2], event: null };
    expect(firstBreak(links)).toMatchObject({ seq: '3', reason: 'event_missing' });
  });

  it('given an edited event whose link was recomputed too, names the next link', () => {
    const links = chainOf([event(1), event(2), event(3)]);
    const forged = event(2, { n: 99 });
    links[1] = { ...links[1], event: forged, hash: chainHash(links[1].prevHash, forged) };
    expect(firstBreak(links)).toEqual({ position: '3', seq: '3', reason: 'chain_modified' });
  });

  it('given a removed link, strict checking names the link after the gap', () => {
    const links = chainOf([event(1), event(2), event(3)]);
    expect(firstBreak([links[0], links[2]])).toEqual({ position: '3', seq: '3', reason: 'chain_modified' });
  });

  it('given a filtered export (a gap in seq), checks each run on its own', () => {
    const links = chainOf([event(1), event(2), event(3), event(4)]);
    expect(firstBreak([links[1], links[3]], false)).toBeNull();
    expect(firstBreak([links[1], { ...links[3], event: event(4, { n: 0 }) }], false)).toMatchObject({
      position: '4',
      reason: 'event_modified',
    });
  });
});
