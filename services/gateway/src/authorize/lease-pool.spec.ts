import {
  modelPrice,
  type AuthorizeReply,
  type AuthorizeRequest,
  type LeaseGrant,
  type LeaseReturn,
  type UsageMessage,
} from '@sluice/contracts';
import { LeasePool, RENEWAL_BACKOFF_MS } from './lease-pool';

const GRANT: LeaseGrant = {
  leaseId: 'c0.lease',
  validMs: 1000,
  requests: 5,
  slots: 5,
  tokens: null,
  tokenKinds: ['input', 'output'],
  nanos: 1_000_000_000,
  counted: true,
  readings: { requests: null, tokens: null, budgetRemainingNanos: 10_000_000_000 },
};
const req = (callId: string, model = 'm'): AuthorizeRequest => ({
  keyHash: 'hash',
  model,
  operation: 'chat',
  clientIp: '127.0.0.1',
  requestId: callId,
  callId,
  estimate: { inputTokens: 10, maxOutputTokens: 10 },
});
const granted: AuthorizeReply = {
  allow: true,
  keyId: 'key_1',
  route: {
    providerId: 'p',
    providerType: 'mock',
    baseUrl: null,
    upstreamModel: 'm',
    price: modelPrice({ inputUsdPerMTok: 1, outputUsdPerMTok: 2, cachedInputUsdPerMTok: null }),
    maxOutputTokens: 100,
  },
  limits: { headers: {}, reservedNanos: 30, budgetRemainingNanos: 10_000_000_000, lease: GRANT },
};
const limitRefusal: AuthorizeReply = {
  allow: false,
  error: {
    status: 429,
    type: 'requests',
    code: 'rate_limit_exceeded',
    param: null,
    message: 'limit',
    rule: 'requestsPerMinute',
  },
};
const keyRefusal: AuthorizeReply = {
  allow: false,
  error: { status: 403, type: 'permission_error', code: 'key_disabled', param: null, message: 'disabled' },
};
const usage = (callId: string): UsageMessage =>
  ({ requestId: callId, keyId: 'key_1', inputTokens: 10, outputTokens: 5, costNanos: 20 }) as UsageMessage;

describe('the leases a gateway spends', () => {
  let returned: LeaseReturn[];
  let pool: LeasePool;
  beforeEach(() => {
    returned = [];
    pool = new LeasePool((r) => returned.push(r));
  });

  it('hands back unspent a lease whose key was revoked after the request that brought it left', () => {
    pool.revoke({ keyId: 'key_1' }, 105);
    pool.take(req('c0'), granted, 100); // sent at 100, the revocation came at 105: policy may have granted it before applying it
    expect(pool.admit(req('c1'), 110)).toBeUndefined();
    expect(returned).toEqual([{ leaseId: 'c0.lease', keyId: 'key_1', usages: [] }]);
    // A lease asked for after the revocation is spent as usual.
    pool.take(req('c2'), { ...granted, limits: { ...granted.limits!, lease: { ...GRANT, leaseId: 'c2.lease' } } }, 106);
    expect(pool.admit(req('c3'), 110)?.leaseId).toBe('c2.lease');
  });

  it('counts a lease’s life from when its request left, not from when the reply came', () => {
    pool.take(req('c0'), granted, 100);
    expect(pool.admit(req('c1'), 1099)).toBeDefined();
    expect(pool.admit(req('c2'), 1100)).toBeUndefined();
  });

  it('hands a lease back when it ends even with a call still running, and that call’s usage settles from the stream', () => {
    pool.take(req('c0'), granted, 100);
    expect(pool.admit(req('long'), 110)).toBeDefined();
    expect(pool.admit(req('short'), 120)).toBeDefined();
    pool.ended(usage('short'));
    pool.closeAll();
    expect(returned).toHaveLength(1);
    expect(returned[0].usages.map((u) => (u as UsageMessage).requestId)).toEqual(['short']);
    pool.ended(usage('long')); // after the return: nothing more is handed back
    expect(returned).toHaveLength(1);
  });

  it('has the call that leaves a quarter of a lease ask for its successor, admitted all the same, and the others keep spending it', () => {
    const eight = { ...granted, limits: { ...granted.limits!, lease: { ...GRANT, requests: 8, slots: 8 } } };
    pool.take(req('c0'), eight, 100);
    const admit = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => pool.admit(req(`c${from + i}`), 110));
    expect(admit(1, 5).map((a) => [a?.leaseId, a?.renew])).toEqual(Array(5).fill(['c0.lease', undefined]));
    // Two left after it: this call asks for the next lease, and is admitted under this one meanwhile.
    expect(pool.admit(req('c6'), 110)).toMatchObject({ leaseId: 'c0.lease', renew: true });
    // Not every call after it: the rest of the lease is spent meanwhile.
    expect(admit(7, 8).map((a) => [a?.leaseId, a?.renew])).toEqual(Array(2).fill(['c0.lease', undefined]));
    expect(pool.admit(req('c9'), 110)).toBeUndefined();
    // The next lease arrives: the old one goes back with what it did not spend.
    const next = { ...granted, limits: { ...granted.limits!, lease: { ...GRANT, leaseId: 'c6.renew.lease' } } };
    pool.renewed(req('c6.renew'), 'c0.lease', next, 105, 106);
    expect(returned.map((r) => r.leaseId)).toEqual(['c0.lease']);
    expect(pool.admit(req('c10'), 120)?.leaseId).toBe('c6.renew.lease');
  });

  it('asks for a lease’s successor once three quarters of its life are gone, however much of it is left', () => {
    pool.take(req('c0'), granted, 100);
    expect(pool.admit(req('c1'), 849)?.renew).toBeUndefined();
    expect(pool.admit(req('c2'), 850)).toMatchObject({ leaseId: 'c0.lease', renew: true });
    expect(pool.admit(req('c3'), 900)?.renew).toBeUndefined();
  });

  it('spends a lease to its end when its renewal is refused on a limit, and closes it when refused on the key’s own rules', () => {
    const eight = { ...granted, limits: { ...granted.limits!, lease: { ...GRANT, requests: 8, slots: 8 } } };
    pool.take(req('c0'), eight, 100);
    for (let i = 1; i <= 5; i++) expect(pool.admit(req(`c${i}`), 110)?.renew).toBeUndefined();
    expect(pool.admit(req('c6'), 110)?.renew).toBe(true);
    // Near a limit policy grants no successor: what the lease holds is still the key's.
    pool.renewed(req('c6.renew'), 'c0.lease', limitRefusal, 105);
    pool.renewed(req('c6.renew'), 'c0.lease', { ...granted, limits: { ...granted.limits!, lease: undefined } }, 105);
    expect(pool.admit(req('c7'), 111)?.leaseId).toBe('c0.lease');
    expect(returned).toEqual([]);
    // The key was disabled: no call is admitted under its lease any more.
    pool.renewed(req('c6.renew'), 'c0.lease', keyRefusal, 112);
    expect(pool.admit(req('c8'), 113)).toBeUndefined();
    expect(returned.map((r) => r.leaseId)).toEqual(['c0.lease']);
  });

  it('hands back unspent a successor that arrives three quarters into its life, or after its key was revoked', () => {
    pool.take(req('c0'), granted, 100);
    const late = { ...granted, limits: { ...granted.limits!, lease: { ...GRANT, leaseId: 'c1.renew.lease' } } };
    pool.renewed(req('c1.renew'), 'c0.lease', late, 200, 950);
    expect(returned.map((r) => r.leaseId)).toEqual(['c1.renew.lease']);
    expect(pool.admit(req('c2'), 951)?.leaseId).toBe('c0.lease');
    pool.revoke({ keyId: 'key_1' }, 960);
    const afterRevocation = {
      ...granted,
      limits: { ...granted.limits!, lease: { ...GRANT, leaseId: 'c3.renew.lease' } },
    };
    pool.renewed(req('c3.renew'), 'c0.lease', afterRevocation, 955, 970);
    expect(returned.map((r) => r.leaseId)).toEqual(['c1.renew.lease', 'c0.lease', 'c3.renew.lease']);
    expect(pool.admit(req('c4'), 971)).toBeUndefined();
  });

  it('renews no lease on the side for a while once a renewal went unanswered or came too late: policy is slow', () => {
    const lease = (leaseId: string) => ({
      ...granted,
      limits: { ...granted.limits!, lease: { ...GRANT, leaseId, requests: 8, slots: 8, validMs: 60_000 } },
    });
    /** The lease each call was admitted under, and whether it asked for the successor. */
    const admit = (from: number, to: number, at: number, model = 'm') =>
      Array.from({ length: to - from + 1 }, (_, i) => {
        const a = pool.admit(req(`${model}-c${from + i}`, model), at);
        return a && `${a.leaseId}${a.renew ? ' renews' : ''}`;
      });
    pool.take(req('c0'), lease('c0.lease'), 100);
    expect(admit(1, 6, 110)).toEqual([...Array(5).fill('c0.lease'), 'c0.lease renews']);
    pool.renewalUnanswered(111);
    // The lease is spent to its end, and the call that finds it spent asks policy itself.
    expect(admit(7, 9, 112)).toEqual(['c0.lease', 'c0.lease', undefined]);
    // Its reply's lease (another shape's too) is not renewed on the side until the pause is over.
    pool.take(req('c9'), lease('c9.lease'), 120);
    pool.take(req('o0', 'other-model'), lease('o0.lease'), 120);
    expect(admit(10, 15, 130)).toEqual(Array(6).fill('c9.lease'));
    expect(admit(1, 6, 5110, 'other-model')).toEqual(Array(6).fill('o0.lease'));
    expect(admit(16, 16, 111 + RENEWAL_BACKOFF_MS)).toEqual(['c9.lease renews']);
    // A successor that came too late pauses renewals too.
    pool.renewed(req('c16.renew'), 'c9.lease', lease('c16.renew.lease'), 200, 200 + 45_000);
    pool.take(req('c17'), lease('c17.lease'), 45_300);
    expect(admit(18, 23, 45_310)).toEqual(Array(6).fill('c17.lease'));
  });

  it('leaves a newer lease alone when an older one’s renewal is refused on the key’s rules', () => {
    pool.take(req('c0'), granted, 100);
    pool.take(req('c1'), { ...granted, limits: { ...granted.limits!, lease: { ...GRANT, leaseId: 'c1.lease' } } }, 101);
    pool.renewed(req('c0.renew'), 'c0.lease', keyRefusal, 102, 103);
    expect(pool.admit(req('c2'), 110)?.leaseId).toBe('c1.lease');
  });

  it('hands back unspent a lease brought by a reply to a request sent before every lease was closed', () => {
    pool.closeAll(105); // NATS lost, or a policy restarting asked for the calls in flight
    pool.take(req('c0'), granted, 100);
    expect(pool.admit(req('c1'), 110)).toBeUndefined();
    expect(returned).toEqual([{ leaseId: 'c0.lease', keyId: 'key_1', usages: [] }]);
    pool.take(req('c2'), { ...granted, limits: { ...granted.limits!, lease: { ...GRANT, leaseId: 'c2.lease' } } }, 106);
    expect(pool.admit(req('c3'), 110)?.leaseId).toBe('c2.lease');
  });
});
