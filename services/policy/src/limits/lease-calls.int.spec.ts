import pino from 'pino';
import { Subjects, type LeasedCall, type ReservationTicket } from '@sluice/contracts';
import { connectNats, ensureStreams, type NatsConnection } from '@sluice/messaging';
import { startTestNats, waitFor, type TestNats } from '@sluice/testing';
import { followLeaseCalls } from './lease-calls';
import type { Limiter } from './limiter';

const ticket = (callId: string): ReservationTicket => ({
  callId,
  keyId: 'key_1',
  admittedAt: Date.now(),
  tokens: 10,
  reservedNanos: 5_000,
  price: { inputNanosPerMTok: 1_000, outputNanosPerMTok: 2_000, cachedInputNanosPerMTok: null },
  worstCase: { inputTokens: 5, outputTokens: 5 },
  call: { model: 'm', upstreamModel: 'm', providerId: 'p', operation: 'chat', clientIp: '127.0.0.1' },
});

/**
 * Gateways store a leased call's notice in SLUICE_LEASE_CALLS (a plain publish, no reply); policy
 * reads the stream in bursts rather than being woken per call.
 */
describe('the lease-call notices policy reads from their stream (real NATS JetStream)', () => {
  let nats: TestNats;
  let gateway: NatsConnection;
  let policy: NatsConnection;
  beforeAll(async () => {
    nats = await startTestNats();
    gateway = await connectNats(nats.url, 'gateway-test');
    policy = await connectNats(nats.url, 'policy-test');
    await ensureStreams(policy);
  });
  afterAll(async () => {
    await gateway?.close();
    await policy?.close();
    await nats?.stop();
  });

  it('hands policy each notice stored from its start, once, and skips what is not a notice', async () => {
    const notice = (callId: string): LeasedCall => ({ leaseId: 'c0.lease', ticket: ticket(callId) });
    gateway.publish(Subjects.leaseCalls, JSON.stringify(notice('before-start')));
    await gateway.flush();
    const started: [string, string][] = [];
    const limiter = {
      leasedCallStarted: (leaseId: string, t: ReservationTicket) => void started.push([leaseId, t.callId]),
    } as unknown as Limiter;
    const follower = await followLeaseCalls(policy, limiter, 50, pino({ level: 'silent' }));
    try {
      for (const id of ['l1', 'l2']) gateway.publish(Subjects.leaseCalls, JSON.stringify(notice(id)));
      gateway.publish(Subjects.leaseCalls, 'not json');
      gateway.publish(Subjects.leaseCalls, JSON.stringify({ leaseId: 'c0.lease', ticket: { callId: 'x' } }));
      gateway.publish(Subjects.leaseCalls, JSON.stringify(notice('l3')));
      await waitFor(() => started.length === 3, { description: 'the three notices' });
      expect(started).toEqual([
        ['c0.lease', 'l1'],
        ['c0.lease', 'l2'],
        ['c0.lease', 'l3'],
      ]);
    } finally {
      await follower.stop();
    }
  });
});
