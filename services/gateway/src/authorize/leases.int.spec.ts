import { Subjects, type LeasedCall, type LeaseGrant, type LeaseReturn, type UsageMessage } from '@sluice/contracts';
import { requestAllParts } from '@sluice/messaging';
import { waitFor } from '@sluice/testing';
import { KEY_ID, startHarness, type Harness } from '../../test/harness';

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
  beforeAll(async () => {
    // Usage batches wait a minute: the lease's return must still not overtake its calls' durable copies.
    h = await startHarness({ reservations: true, lease: LEASE, gateway: { usageBatchMs: 60_000 } });
    h.nc.subscribe(Subjects.rpc.policyLeaseCall, {
      callback: (_e, msg) => {
        started.push(msg.json<LeasedCall>());
      },
    });
    h.nc.subscribe(Subjects.rpc.policyLeaseReturn, {
      callback: (_e, msg) => {
        returns.push(msg.json<LeaseReturn>());
      },
    });
    await h.nc.flush();
  });
  afterAll(() => h?.stop());

  const call = async () => {
    const res = await fetch(`${h.gateway.url}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${h.key}`,
        'content-type': 'application/json',
        'x-portkey-metadata': JSON.stringify({ team: 'x'.repeat(200) }),
      },
      body: JSON.stringify({ model: 'gpt-priced', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    await res.json();
    return {
      status: res.status,
      remaining: res.headers.get('x-ratelimit-remaining-requests'),
    };
  };
  const asked = () => h.authorizeRequests.filter((r) => r.model === 'gpt-priced').length;

  it('admits the leased calls without asking policy, with the headers counting down, and hands the lease back', async () => {
    const first = await call();
    expect(first.status).toBe(200);
    expect(asked()).toBe(1);
    const leased = [await call(), await call(), await call()];
    expect(leased.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(asked()).toBe(1);
    expect(leased.map((r) => r.remaining)).toEqual(['899', '898', '897']);
    // Spent: the next call asks policy (and brings a new lease).
    expect((await call()).status).toBe(200);
    expect(asked()).toBe(2);

    const leaseId = `${h.authorizeRequests.find((r) => r.model === 'gpt-priced')!.callId}.lease`;
    const back = await waitFor(() => returns.find((r) => r.leaseId === leaseId), { description: 'the lease back' });
    expect(back.keyId).toBe(KEY_ID);
    expect((back.usages as UsageMessage[]).map((u) => u.leaseId)).toEqual([leaseId, leaseId, leaseId]);
    // Without the callers' tags (the stream's copies keep them): a return of many calls fits one message.
    expect((back.usages as UsageMessage[]).some((u) => 'metadata' in u)).toBe(false);
    // The stream's copies name the lease too: policy charges them to it. Sent with the return, not a
    // minute later with their batch's window.
    const stored = await waitFor(
      async () => {
        const usages = (await h.usageMessages()).filter((u) => u.leaseId === leaseId);
        return usages.length === 3 && usages;
      },
      { description: 'the leased calls on the usage stream' },
    );
    expect(stored.every((u) => u.keyId === KEY_ID && (u.costNanos ?? 0) > 0 && u.metadata?.team)).toBe(true);
    // Each leased call told policy it started, with the ticket policy sweeps it by if it is never reported.
    const told = started.filter((n) => n.leaseId === leaseId);
    expect(told.map((n) => n.ticket.callId).sort()).toEqual(stored.map((u) => u.requestId).sort());
    expect(told.every((n) => n.ticket.keyId === KEY_ID && n.ticket.reservedNanos > 0)).toBe(true);
  });

  it('stops spending a lease the moment policy revokes it', async () => {
    const before = asked();
    await call(); // brings a lease (or spends one): then one leased call is certain
    const withLease = asked();
    await call();
    expect(asked()).toBe(withLease);
    const live = `${h.authorizeRequests.filter((r) => r.model === 'gpt-priced').at(-1)!.callId}.lease`;
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
    await call();
    expect(asked()).toBe(withLease + 1);
    expect(asked()).toBeGreaterThan(before);
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
});
