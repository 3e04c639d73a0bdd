import { Subjects, type ReservationTicket } from '@sluice/contracts';
import { requestAllParts } from '@sluice/messaging';
import { waitFor } from '@sluice/testing';
import { rawPost, startHarness, type Harness } from '../../test/harness';

jest.setTimeout(60_000);

const MAX_PAYLOAD = 8192;
const IN_FLIGHT = 60;

/**
 * Issue #10: a starting policy asks every gateway for the reservations of its calls in flight. One
 * ticket is ~400 bytes, so ~2,400 calls overflow nats-server's 1 MB max_payload; here the server
 * allows 8 KB and 60 calls are in flight.
 */
describe("the gateway's in-flight report above the server's max_payload (real NATS)", () => {
  let h: Harness;
  beforeAll(
    async () =>
      (h = await startHarness({ nats: { maxPayload: MAX_PAYLOAD }, reservations: true, heldLatencyMs: 8000 })),
  );
  afterAll(() => h?.stop());

  it('arrives whole at the asker, in parts, and the gateway still serves the next call', async () => {
    const calls = Array.from({ length: IN_FLIGHT }, (_, i) =>
      rawPost(
        h,
        '/chat/completions',
        JSON.stringify({ model: 'gpt-held', messages: [{ role: 'user', content: `held ${i}` }] }),
        { authorization: `Bearer ${h.key}` },
      ).catch(() => null),
    );
    const admitted = () => new Set(h.authorizeRequests.filter((r) => r.model === 'gpt-held').map((r) => r.callId));
    await waitFor(() => admitted().size === IN_FLIGHT, {
      timeoutMs: 10_000,
      description: `${IN_FLIGHT} calls admitted`,
    });

    // As policy asks at start: every part of every gateway's answer.
    const report = await waitFor(
      async () => {
        const r = await requestAllParts<ReservationTicket>(h.nc, Subjects.gatewayInFlight, {
          maxWaitMs: 300,
          completeWithinMs: 3000,
        });
        return r.items.length === IN_FLIGHT && r;
      },
      { timeoutMs: 10_000, description: 'the whole in-flight report' },
    );
    expect(JSON.stringify(report.items).length).toBeGreaterThan(2 * MAX_PAYLOAD);
    expect([report.responders, report.incomplete]).toEqual([1, 0]);
    expect(new Set(report.items.map((t) => t.callId))).toEqual(admitted());

    // The gateway's connection still reads: the next call is authorized over it and served.
    const next = await rawPost(
      h,
      '/chat/completions',
      JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'next' }] }),
      { authorization: `Bearer ${h.key}` },
    );
    expect(next.status).toBe(200);
    // The held calls end normally, with their reservations released.
    expect((await Promise.all(calls)).map((c) => c?.status)).toEqual(Array(IN_FLIGHT).fill(200));
    const after = await requestAllParts<ReservationTicket>(h.nc, Subjects.gatewayInFlight, {
      maxWaitMs: 300,
      completeWithinMs: 3000,
    });
    expect([after.items, after.responders]).toEqual([[], 1]);
  });
});
