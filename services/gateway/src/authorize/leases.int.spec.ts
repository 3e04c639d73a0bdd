import {
  Subjects,
  type AuthorizeReply,
  type AuthorizeRequest,
  type LeasedCall,
  type LeaseGrant,
  type LeaseReturn,
  type UsageMessage,
} from '@sluice/contracts';
import { connectNats, requestAllParts } from '@sluice/messaging';
import { waitFor } from '@sluice/testing';
import type { NatsConnection } from '@sluice/messaging';
import { KEY_ID, startHarness, type Harness } from '../../test/harness';
import { NATS } from '../gateway.module';
import { UsageSpool } from '../usage/spool/usage-spool';
import { Authorizer } from './authorizer';

jest.setTimeout(60_000);

const LEASE: Omit<LeaseGrant, 'leaseId'> = {
  validMs: 60_000,
  requests: 3,
  slots: 2,
  tokens: null,
  tokenKinds: ['input', 'output'],
  nanos: 1_000_000_000,
  counted: true,
  readings: {
    requests: { limit: 1000, remaining: 900, resetsInMs: 60_000 },
    tokens: null,
    budgetRemainingNanos: 50_000_000_000,
  },
};

/**
 * Quota leases on the gateway, over a real NATS: policy (a responder here) leases three further
 * calls with each call it admits; the gateway admits them without a message and hands the lease
 * back with their usage once spent.
 */
describe('calls admitted under a lease (real NATS)', () => {
  let h: Harness;
  const returns: LeaseReturn[] = [];
  const started: LeasedCall[] = [];
  /** Both subjects as they arrived, one connection's messages in the order it published them. */
  const arrived: string[] = [];
  /** The notices each lease-call message carried: one call, or a turn's in an array. */
  const noticeMessages: string[][] = [];
  /** The calls the gateway told policy to cancel (asked, and no answer used). */
  const cancelled: string[] = [];
  beforeAll(async () => {
    // Usage batches wait a minute: the lease's return must still not overtake its calls' durable copies.
    h = await startHarness({ reservations: true, lease: LEASE, gateway: { usageBatchMs: 60_000 } });
    h.nc.subscribe(Subjects.rpc.policyLeaseCall, {
      callback: (_e, msg) => {
        const body = msg.json<LeasedCall | LeasedCall[]>();
        const notices = Array.isArray(body) ? body : [body];
        noticeMessages.push(notices.map((n) => n.ticket.callId));
        for (const notice of notices) {
          started.push(notice);
          arrived.push(`started ${notice.ticket.callId}`);
        }
      },
    });
    h.nc.subscribe(Subjects.rpc.policyCancel, {
      callback: (_e, msg) => {
        cancelled.push(msg.json<{ callId: string }>().callId);
      },
    });
    h.nc.subscribe(Subjects.rpc.policyLeaseReturn, {
      callback: (_e, msg) => {
        const returned = msg.json<LeaseReturn>();
        returns.push(returned);
        arrived.push(`returned ${returned.leaseId}`);
      },
    });
    await h.nc.flush();
  });
  afterAll(() => h?.stop());

  const call = async (model = 'gpt-priced') => {
    const res = await fetch(`${h.gateway.url}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${h.key}`,
        'content-type': 'application/json',
        'x-portkey-metadata': JSON.stringify({ team: 'x'.repeat(200) }),
      },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    await res.json();
    return {
      status: res.status,
      remaining: res.headers.get('x-ratelimit-remaining-requests'),
    };
  };
  /** Calls the gateway asked policy about (not the renewals of its leases). */
  const asked = () => h.authorizeRequests.filter((r) => r.model === 'gpt-priced' && r.renews === undefined).length;
  const renewals = () => h.authorizeRequests.filter((r) => r.model === 'gpt-priced' && r.renews !== undefined);
  /** A call of a second gateway's own (its key's hash), with `id` as its request and call id. */
  const callOf = (keyHash: string, id: string): AuthorizeRequest => ({
    keyHash,
    model: 'gpt-priced',
    operation: 'chat',
    clientIp: '127.0.0.1',
    requestId: id,
    callId: id,
    estimate: { inputTokens: 10, maxOutputTokens: 10 },
  });
  /** Policy's allow reply carrying `lease`. */
  const granting = (lease: LeaseGrant): AuthorizeReply => ({
    allow: true,
    keyId: KEY_ID,
    route: h.routes.get('gpt-priced')!,
    limits: { headers: {}, reservedNanos: 0, budgetRemainingNanos: null, lease },
  });

  it('admits the leased calls without asking policy, with the headers counting down, and hands the lease back', async () => {
    const first = await call();
    expect(first.status).toBe(200);
    expect(asked()).toBe(1);
    const leased = [await call(), await call(), await call()];
    expect(leased.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(asked()).toBe(1);
    expect(leased.map((r) => r.remaining)).toEqual(['899', '898', '897']);
    const leaseId = `${h.authorizeRequests.find((r) => r.model === 'gpt-priced')!.callId}.lease`;
    // The call that spent it asked for its successor on the side, and was not kept waiting for it:
    // the next call is admitted under the new lease, without asking policy.
    const renewal = await waitFor(() => renewals()[0], { description: 'the lease renewed' });
    expect(renewal.renews).toBe(leaseId);
    expect(renewals()).toHaveLength(1);
    await waitFor(() => returns.some((r) => r.leaseId === leaseId), { description: 'the spent lease replaced' });
    expect((await call()).status).toBe(200);
    expect(asked()).toBe(1);

    const back = await waitFor(() => returns.find((r) => r.leaseId === leaseId), { description: 'the lease back' });
    expect(back.keyId).toBe(KEY_ID);
    // With the usage of its calls that ended: the first two at least (the third may still have been
    // finishing when the successor came; it settles from the stream).
    const returned = (back.usages as UsageMessage[]).map((u) => u.leaseId);
    expect(returned.length).toBeGreaterThanOrEqual(2);
    expect(returned).toEqual(returned.map(() => leaseId));
    // Without the callers' tags (the stream's copies keep them): a return of many calls fits one message.
    expect((back.usages as UsageMessage[]).some((u) => 'metadata' in u)).toBe(false);
    // The stream's copies name the lease too: policy charges them to it. Those of the calls in the
    // return were sent with it, not a minute later with their batch's window.
    const stored = await waitFor(
      async () => {
        const usages = (await h.usageMessages()).filter((u) => u.leaseId === leaseId);
        return usages.length >= returned.length && usages;
      },
      { description: 'the returned calls on the usage stream' },
    );
    expect(stored.every((u) => u.keyId === KEY_ID && (u.costNanos ?? 0) > 0 && u.metadata?.team)).toBe(true);
    // Each leased call told policy it started, with the ticket policy sweeps it by if it is never reported.
    const told = started.filter((n) => n.leaseId === leaseId);
    expect(told).toHaveLength(3);
    expect(told.map((n) => n.ticket.callId)).toEqual(expect.arrayContaining(stored.map((u) => u.requestId)));
    expect(told.every((n) => n.ticket.keyId === KEY_ID && n.ticket.reservedNanos > 0)).toBe(true);
  });

  it('stops spending a lease the moment policy revokes it', async () => {
    // Calls of a shape of their own (another model): the first brings a lease, the second spends it.
    const askedFor = () => h.authorizeRequests.filter((r) => r.model === 'gpt-test' && r.renews === undefined);
    await call('gpt-test');
    const withLease = askedFor().length;
    await call('gpt-test');
    expect(askedFor().length).toBe(withLease);
    const live = `${askedFor().at(-1)!.callId}.lease`;
    h.nc.publish(Subjects.gatewayLeaseRevoke, JSON.stringify({ keyId: KEY_ID }));
    // The gateway applied the revocation once it hands the lease back (at once, on revocation).
    const back = await waitFor(() => returns.find((r) => r.leaseId === live), {
      description: 'the revoked lease back',
    });
    // Its calls' durable copies went with it, not a minute later with their batch's window.
    const leasedCalls = back.usages.length;
    expect(leasedCalls).toBeGreaterThan(0);
    await waitFor(async () => (await h.usageMessages()).filter((u) => u.leaseId === live).length === leasedCalls, {
      description: "the revoked lease's calls on the usage stream",
    });
    await call('gpt-test');
    expect(askedFor().length).toBe(withLease + 1);
  });

  it('drops its leases when a restarting policy asks for the calls in flight', async () => {
    await call();
    const n = asked();
    await call();
    expect(asked()).toBe(n); // leased
    await requestAllParts(h.nc, Subjects.gatewayInFlight, { maxWaitMs: 300, completeWithinMs: 3000 });
    await call();
    expect(asked()).toBe(n + 1);
  });

  it('tells policy a leased call started before it hands the lease back, even when both happen in one turn', async () => {
    // A second gateway's authorizer on its own connection: what it publishes arrives in its order.
    const nc = await connectNats(h.nats.url, 'second-gateway');
    try {
      const authorizer = new Authorizer(nc);
      const req = (id: string) => callOf('a'.repeat(64), id);
      authorizer.leases.take(req('order-granting'), granting({ ...LEASE, leaseId: 'order.lease' }));
      const admitted = await authorizer.authorize(req('order-leased'));
      expect(admitted.allow && admitted.limits?.leaseId).toBe('order.lease');
      // Revoked in the very turn the call was admitted: its notice may not have left yet.
      authorizer.leases.revoke({ keyId: KEY_ID });
      await waitFor(() => returns.some((r) => r.leaseId === 'order.lease'), { description: 'the lease back' });
      // Policy ignores a notice for a lease it took back: the call would run unseen.
      expect(arrived.filter((m) => m.includes('order'))).toEqual(['started order-leased', 'returned order.lease']);
    } finally {
      await nc.drain();
    }
  });

  it('tells policy of every leased call before the call may ask its upstream, however many arrive together', async () => {
    const told = new Set<string>();
    const gatewayNats = h.gateway.app.get<NatsConnection>(NATS);
    const publish = gatewayNats.publish.bind(gatewayNats);
    jest.spyOn(gatewayNats, 'publish').mockImplementation((subject, payload, options) => {
      if (subject === Subjects.rpc.policyLeaseCall) {
        const body = JSON.parse(String(payload)) as LeasedCall | LeasedCall[];
        for (const notice of Array.isArray(body) ? body : [body]) told.add(notice.ticket.callId);
      }
      return publish(subject, payload, options);
    });
    // A call goes on to its upstream once its begin record is written (the pipeline awaits it).
    const spool = h.gateway.app.get(UsageSpool);
    const begin = spool.begin.bind(spool);
    const untoldWhenWritten: string[] = [];
    let leased = 0;
    jest.spyOn(spool, 'begin').mockImplementation((record) =>
      begin(record).then(() => {
        if (!record.leaseId) return;
        leased++;
        if (!told.has(record.callId)) untoldWhenWritten.push(record.callId);
      }),
    );
    try {
      // Two at a time, as many as a lease's slots: calls that usually share a turn, and whichever way
      // a round goes, the next finds a lease (each call policy decides brings one).
      const results = [];
      for (let round = 0; round < 15; round++) results.push(...(await Promise.all([call(), call()])));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(leased).toBeGreaterThanOrEqual(8);
      expect(untoldWhenWritten).toEqual([]);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('tells policy of the calls one turn admits in one message, and before the lease goes back', async () => {
    const nc = await connectNats(h.nats.url, 'third-gateway');
    try {
      const authorizer = new Authorizer(nc);
      const req = (id: string) => callOf('b'.repeat(64), id);
      authorizer.leases.take(
        req('turn-granting'),
        granting({ ...LEASE, requests: 10, slots: 10, leaseId: 'turn.lease' }),
      );
      // Three calls admitted in one turn, as a busy gateway admits them.
      const replies = await Promise.all(['turn-1', 'turn-2', 'turn-3'].map((id) => authorizer.authorize(req(id))));
      expect(replies.map((r) => r.allow && r.limits?.leaseId)).toEqual(['turn.lease', 'turn.lease', 'turn.lease']);
      // A call admitted in a later turn, and the lease revoked in that same turn.
      await new Promise((resolve) => setImmediate(resolve));
      await authorizer.authorize(req('turn-4'));
      await authorizer.authorize(req('turn-5'));
      authorizer.leases.revoke({ keyId: KEY_ID });
      await waitFor(() => returns.some((r) => r.leaseId === 'turn.lease'), { description: 'the lease back' });
      // A turn's together as it ends; the lease's return sends its turn's first.
      expect(noticeMessages.filter((m) => m[0].startsWith('turn'))).toEqual([
        ['turn-1', 'turn-2', 'turn-3'],
        ['turn-4', 'turn-5'],
      ]);
      expect(arrived.filter((m) => m.includes('turn')).at(-1)).toBe('returned turn.lease');
    } finally {
      await nc.drain();
    }
  });

  it('with a notice delay, tells policy only of the calls still running after it, and of those before the lease goes back', async () => {
    const nc = await connectNats(h.nats.url, 'fifth-gateway');
    try {
      // SLUICE_GATEWAY_LEASE_NOTICE_MS=200: a gateway whose spool outlives it.
      const authorizer = new Authorizer(nc, undefined, undefined, true, 200);
      const req = (id: string) => callOf('d'.repeat(64), id);
      const ended = (id: string) =>
        ({ requestId: id, keyId: KEY_ID, inputTokens: 1, outputTokens: 1, costNanos: 1 }) as UsageMessage;
      authorizer.leases.take(
        req('late-granting'),
        granting({ ...LEASE, requests: 10, slots: 10, leaseId: 'late.lease' }),
      );
      const quick = await authorizer.authorize(req('late-quick'));
      const long = await authorizer.authorize(req('late-long'));
      expect([quick, long].map((r) => r.allow && r.limits?.leaseId)).toEqual(['late.lease', 'late.lease']);
      authorizer.callEnded(ended('late-quick'));
      // The delay runs from the first call not yet told: the call that ended by then is never told.
      await waitFor(() => noticeMessages.some((m) => m.includes('late-long')), {
        description: "the long call's notice",
      });
      expect(noticeMessages.filter((m) => m[0].startsWith('late'))).toEqual([['late-long']]);
      // A call still within the delay when its lease goes back is told first.
      await authorizer.authorize(req('late-last'));
      authorizer.leases.revoke({ keyId: KEY_ID });
      await waitFor(() => returns.some((r) => r.leaseId === 'late.lease'), { description: 'the lease back' });
      expect(arrived.filter((m) => m.includes('late'))).toEqual([
        'started late-long',
        'started late-last',
        'returned late.lease',
      ]);
      expect(returns.find((r) => r.leaseId === 'late.lease')?.usages.map((u) => (u as UsageMessage).requestId)).toEqual(
        ['late-quick'],
      );
    } finally {
      await nc.drain();
    }
  });

  /**
   * A second gateway's authorizer, on a key policy answers with `quirk`, spends three calls of a
   * lease of four: the third leaves a quarter and asks for the successor. `then` goes on from there.
   */
  const renewingWith = async (
    quirk: 'silent' | 'olderPolicy',
    then: (
      authorizer: Authorizer,
      req: (id: string) => AuthorizeRequest,
      asked: () => string[],
      /** Resolves once policy has whatever this gateway sent so far. */
      delivered: () => Promise<void>,
    ) => Promise<void>,
  ) => {
    const nc = await connectNats(h.nats.url, `${quirk}-gateway`);
    const keyHash = (quirk === 'silent' ? 'e' : 'f').repeat(64);
    h.policyQuirks.set(keyHash, quirk);
    try {
      // Silent: unanswered after 300 ms. An older policy answers; it has a minute, so a cancel seen
      // within waitFor's 5 s can only be the one its reply's reservation brings.
      const authorizer = new Authorizer(nc, quirk === 'silent' ? 300 : 60_000);
      const req = (id: string) => callOf(keyHash, id);
      authorizer.leases.take(
        req(`${quirk}-granting`),
        granting({ ...LEASE, requests: 4, slots: 4, leaseId: `${quirk}.lease` }),
      );
      for (const n of [1, 2, 3]) {
        const admitted = await authorizer.authorize(req(`${quirk}-${n}`));
        expect(admitted.allow && admitted.limits?.leaseId).toBe(`${quirk}.lease`);
      }
      const asked = () =>
        h.authorizeRequests.filter((r) => r.keyHash === keyHash).map((r) => `${r.callId}${r.renews ? ' renews' : ''}`);
      await then(authorizer, req, asked, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        await nc.flush();
        await h.nc.flush();
      });
      authorizer.leases.closeAll();
    } finally {
      h.policyQuirks.delete(keyHash);
      await nc.drain();
    }
  };

  it('cancels a renewal policy leaves unanswered, spends the lease to its end without asking again, and renews none for a while', () =>
    renewingWith('silent', async (authorizer, req, asked, delivered) => {
      // Unanswered: policy may have granted the successor and replied too late; it must not hold it.
      await waitFor(() => cancelled.includes('silent-3.renew'), { description: 'the renewal cancelled' });
      // The lease's last call is admitted under it, with no second renewal and no call to policy.
      const last = await authorizer.authorize(req('silent-4'));
      expect(last.allow && last.limits?.leaseId).toBe('silent.lease');
      expect(asked()).toEqual(['silent-3.renew renews']);
      // Policy is slow: for a while the next lease is not renewed on the side either (a request less for it).
      authorizer.leases.take(req('again'), granting({ ...LEASE, requests: 4, slots: 4, leaseId: 'again.lease' }));
      for (const n of [5, 6, 7]) {
        const admitted = await authorizer.authorize(req(`silent-${n}`));
        expect(admitted.allow && admitted.limits?.leaseId).toBe('again.lease');
      }
      await delivered();
      expect(asked()).toEqual(['silent-3.renew renews']);
    }));

  it('cancels a renewal an older policy counted as a call, and does not spend the lease it sent', () =>
    renewingWith('olderPolicy', async (authorizer, req, asked) => {
      // Counted as a call with a reservation: released at once, uncharged.
      await waitFor(() => cancelled.includes('olderPolicy-3.renew'), { description: 'the renewal cancelled' });
      const last = await authorizer.authorize(req('olderPolicy-4'));
      expect(last.allow && last.limits?.leaseId).toBe('olderPolicy.lease');
      // The successor it sent was not taken: once the lease is spent, the next call asks policy.
      const next = await authorizer.authorize(req('olderPolicy-5'));
      expect(next.allow).toBe(true);
      expect(asked()).toEqual(['olderPolicy-3.renew renews', 'olderPolicy-5']);
    }));

  it('sends a turn of more leased calls than one message holds in messages of 256, and one by one when told to', async () => {
    const nc = await connectNats(h.nats.url, 'fourth-gateway');
    try {
      const req = (id: string) => callOf('c'.repeat(64), id);
      const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
      const sizes = (prefix: string) => noticeMessages.filter((m) => m[0].startsWith(prefix)).map((m) => m.length);
      // A client pipelining hundreds of calls: one turn admits them all.
      const batching = new Authorizer(nc);
      batching.leases.take(
        req('many-granting'),
        granting({ ...LEASE, requests: 2000, slots: 2000, leaseId: 'many.lease' }),
      );
      const replies = await Promise.all(ids('many', 600).map((id) => batching.authorize(req(id))));
      expect(replies.every((r) => r.allow && r.limits?.leaseId === 'many.lease')).toBe(true);
      await waitFor(() => sizes('many').reduce((a, b) => a + b, 0) === 600, { description: "the 600 calls' notices" });
      expect(sizes('many')).toEqual([256, 256, 88]);
      // SLUICE_GATEWAY_USAGE_BATCH_MS=-1 (a rolling upgrade): a message per call, as a policy before arrays reads them.
      const single = new Authorizer(nc, undefined, undefined, false);
      single.leases.take(req('one-granting'), granting({ ...LEASE, requests: 10, slots: 10, leaseId: 'one.lease' }));
      await Promise.all(ids('one', 3).map((id) => single.authorize(req(id))));
      await waitFor(() => sizes('one').length === 3, { description: 'three notices' });
      expect(sizes('one')).toEqual([1, 1, 1]);
      batching.leases.closeAll();
      single.leases.closeAll();
    } finally {
      await nc.drain();
    }
  });
});
