import { modelPrice } from '@sluice/contracts';
import { leasedCallsOf } from './policy.handlers';

const ticket = (callId: string) => ({
  callId,
  keyId: 'key_1',
  admittedAt: Date.now(),
  tokens: 50,
  reservedNanos: 1000,
  price: modelPrice({ inputUsdPerMTok: 1, outputUsdPerMTok: 2, cachedInputUsdPerMTok: null }),
  worstCase: { inputTokens: 10, outputTokens: 40 },
  call: { model: 'm', upstreamModel: 'm', providerId: 'prov_1', operation: 'chat', clientIp: '127.0.0.1' },
});
const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const ids = (data: Uint8Array) => leasedCallsOf(data).map((n) => `${n.leaseId}/${n.ticket.callId}`);

describe('the lease-call notices policy reads', () => {
  it('reads one call, or the calls of a gateway turn in an array', () => {
    expect(ids(bytes({ leaseId: 'l1', ticket: ticket('c1') }))).toEqual(['l1/c1']);
    expect(
      ids(
        bytes([
          { leaseId: 'l1', ticket: ticket('c2') },
          { leaseId: 'l2', ticket: ticket('c3') },
        ]),
      ),
    ).toEqual(['l1/c2', 'l2/c3']);
  });

  it('skips what is not a well-formed notice and keeps the rest', () => {
    expect(ids(bytes('not json'))).toEqual([]);
    expect(ids(bytes(null))).toEqual([]);
    expect(
      ids(
        bytes([
          null,
          7,
          { leaseId: 5, ticket: ticket('c1') },
          { leaseId: 'l1', ticket: { ...ticket('c2'), reservedNanos: -1 } },
          { leaseId: 'l1', ticket: ticket('c3') },
        ]),
      ),
    ).toEqual(['l1/c3']);
  });

  it('reads no more notices from one message than a gateway turn admits', () => {
    const many = Array.from({ length: 1500 }, (_, i) => ({ leaseId: 'l1', ticket: ticket(`c${i}`) }));
    expect(leasedCallsOf(bytes(many))).toHaveLength(1024);
  });
});
