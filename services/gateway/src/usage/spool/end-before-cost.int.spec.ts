import { readFileSync } from 'node:fs';
import { ServerResponse } from 'node:http';
import type { UsageMessage } from '@sluice/contracts';
import { startHarness, type Harness } from '../../../test/harness';
import { UsagePublisher } from '../usage-publisher';
import { unreportedUsage } from './spool-records';
import { UsageSpool } from './usage-spool';

jest.setTimeout(60_000);

/**
 * What the next start would report for a call if this gateway were SIGKILLed right now: the spool
 * files are in the page cache as soon as each write returns, so reading them is what a successor reads.
 */
function recoveredIfKilledNow(h: Harness, callId: string): UsageMessage[] {
  const spool = h.gateway.app.get(UsageSpool);
  return unreportedUsage(spool.paths.map((path) => readFileSync(path, 'utf8')).join('')).filter(
    (u) => u.requestId === callId,
  );
}

/** The moment each answer's last bytes leave, by the caller's x-request-id: what a kill then would recover. */
function atAnswersEnd(h: Harness): Map<string, UsageMessage[]> {
  const seen = new Map<string, UsageMessage[]>();
  const end = ServerResponse.prototype.end;
  jest.spyOn(ServerResponse.prototype, 'end').mockImplementation(function (this: ServerResponse, ...args: unknown[]) {
    // The gateway's answer to the client, not the in-process mock upstream's answer to the gateway.
    const toClient = this.req?.headers.authorization === `Bearer ${h.key}`;
    const requestId = this.req?.headers['x-request-id'];
    const callId =
      toClient && typeof requestId === 'string'
        ? h.authorizeRequests.find((r) => r.requestId === requestId)?.callId
        : undefined;
    if (callId && !seen.has(requestId as string)) seen.set(requestId as string, recoveredIfKilledNow(h, callId));
    return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
  });
  return seen;
}

describe('a call’s usage is in the spool before its cost reaches anyone (real NATS, real spool files)', () => {
  afterEach(() => jest.restoreAllMocks());

  describe('a key with limits: policy settles the call early', () => {
    let h: Harness;
    beforeAll(async () => (h = await startHarness({ reservations: true })));
    afterAll(() => h?.stop());

    it.each([false, true])(
      'a gateway killed as it hands policy the real cost (stream: %s) would be recovered at that cost, not the worst case',
      async (stream) => {
        const publisher = h.gateway.app.get(UsagePublisher);
        const settleNow = publisher.settleNow.bind(publisher);
        const atSettlement: UsageMessage[][] = [];
        jest.spyOn(publisher, 'settleNow').mockImplementation((usage) => {
          atSettlement.push(recoveredIfKilledNow(h, usage.requestId));
          return settleNow(usage);
        });
        const requestId = `spool-settle-${stream}`;
        const res = await h
          .client()
          .chat.completions.create(
            { model: 'gpt-test', stream, messages: [{ role: 'user', content: 'Reply with 9 words' }] } as never,
            { headers: { 'x-request-id': requestId } },
          );
        if (stream) for await (const _chunk of res as unknown as AsyncIterable<unknown>);
        const usage = await h.usageOf(requestId);
        expect(usage).toMatchObject({ estimated: false, status: 200 });
        expect(atSettlement).toEqual([[{ ...usage, recovered: true }]]);
      },
    );
  });

  describe('a key without limits', () => {
    let h: Harness;
    beforeAll(async () => (h = await startHarness()));
    afterAll(() => h?.stop());

    it.each([false, true])(
      'a gateway killed as the answer’s last bytes leave (stream: %s) would be recovered at the cost the client was told',
      async (stream) => {
        const seen = atAnswersEnd(h);
        const requestId = `spool-answer-${stream}`;
        const res = await h
          .client()
          .chat.completions.create(
            { model: 'gpt-test', stream, messages: [{ role: 'user', content: 'Reply with 9 words' }] } as never,
            { headers: { 'x-request-id': requestId } },
          );
        if (stream) for await (const _chunk of res as unknown as AsyncIterable<unknown>);
        const usage = await h.usageOf(requestId);
        expect(usage).toMatchObject({ estimated: false, status: 200 });
        expect(seen.get(requestId)).toEqual([{ ...usage, recovered: true }]);
      },
    );
  });
});
