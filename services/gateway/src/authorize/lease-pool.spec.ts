import {
  modelPrice,
  type AuthorizeReply,
  type AuthorizeRequest,
  type LeaseGrant,
  type LeaseReturn,
  type UsageMessage,
} from '@sluice/contracts';
import { LeasePool } from './lease-pool';

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
const req = (callId: string): AuthorizeRequest => ({
  keyHash: 'hash',
  model: 'm',
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

  it('sends one call to policy for the next lease when a quarter of this one is left, and the others keep spending it', () => {
    const eight = { ...granted, limits: { ...granted.limits!, lease: { ...GRANT, requests: 8, slots: 8 } } };
    pool.take(req('c0'), eight, 100);
    const admitted = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => pool.admit(req(`c${from + i}`), 110)?.leaseId);
    expect(admitted(1, 6)).toEqual(Array(6).fill('c0.lease'));
    // Two left: this call asks policy, and its reply will bring the next lease.
    expect(pool.admit(req('c7'), 110)).toBeUndefined();
    // Not every call after it: the rest of the lease is spent meanwhile.
    expect(admitted(8, 9)).toEqual(['c0.lease', 'c0.lease']);
    expect(pool.admit(req('c10'), 110)).toBeUndefined();
    // The next lease arrives: the old one goes back with what it did not spend.
    pool.take(req('c7'), { ...granted, limits: { ...granted.limits!, lease: { ...GRANT, leaseId: 'c7.lease' } } }, 105);
    expect(returned.map((r) => r.leaseId)).toEqual(['c0.lease']);
    expect(pool.admit(req('c11'), 120)?.leaseId).toBe('c7.lease');
  });

  it('admits a renewing call policy refused under the lease it was renewing, and a granted one under the new lease', () => {
    const eight = { ...granted, limits: { ...granted.limits!, lease: { ...GRANT, requests: 8, slots: 8 } } };
    pool.take(req('c0'), eight, 100);
    for (let i = 1; i <= 6; i++) expect(pool.admit(req(`c${i}`), 110)).toBeDefined();
    expect(pool.admit(req('c7'), 110)).toBeUndefined(); // sent to policy for the next lease
    // Near a limit, policy counts the lease's rest as taken and refuses the renewal: the lease kept room for it.
    expect(pool.renewalAnswered(req('c7'), limitRefusal, 111)?.leaseId).toBe('c0.lease');
    // Any other call policy refused is not taken from a lease.
    expect(pool.renewalAnswered(req('c8'), limitRefusal, 111)).toBeUndefined();
    // A renewal refused on the key's own rules stands.
    expect(pool.admit(req('c9'), 110)?.leaseId).toBe('c0.lease');
    pool.take(
      req('c9b'),
      { ...granted, limits: { ...granted.limits!, lease: { ...GRANT, requests: 4, slots: 4, leaseId: 'c9b.lease' } } },
      112,
    );
    for (let i = 10; i <= 12; i++) expect(pool.admit(req(`c${i}`), 113)).toBeDefined();
    expect(pool.admit(req('c13'), 113)).toBeUndefined(); // one left of four: sent for the next lease
    expect(pool.renewalAnswered(req('c13'), keyRefusal, 114)).toBeUndefined();
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
