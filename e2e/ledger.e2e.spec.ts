import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subjects, type KeyLimitState, type KeyStateReply } from '@sluice/contracts';
import { connectNats, request, type NatsConnection } from '@sluice/messaging';
import { startMockUpstream } from '@sluice/mock-llm';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';
import { spendSettled } from './support/settled';

jest.setTimeout(300_000);

const TTL_MS = 5000;

/** The seed catalog's prices: $0.15 / $0.60 per million tokens, 150 / 600 nano-dollars a token. */
const CHEAP = { input: 150, output: 600 };
/** A nano-dollar amount as the exact decimal a person should read. */
const usd = (nanos: number): string => {
  const digits = String(nanos).padStart(10, '0');
  const fraction = digits.slice(-9).replace(/0+$/, '');
  return fraction ? `${digits.slice(0, -9)}.${fraction}` : digits.slice(0, -9);
};

interface Call {
  status: number;
  headers: Headers;
  body: any;
  requestId: string;
}

/** A call over node's http client: a stream's cost arrives as an HTTP trailer, which fetch does not expose. */
interface RawCall {
  status: number;
  requestId: string;
  /** `x-sluice-cost-usd`: the header of a JSON answer, the trailer of a stream. */
  cost: string | undefined;
}

/**
 * A decimal USD string in nano-dollars, by its digits (no float on the way); a stored numeric has a tenth decimal,
 * always 0.
 */
const nanosOf = (decimal: string): number => {
  const [whole, fraction = ''] = decimal.split('.');
  expect(fraction.slice(9)).toMatch(/^0*$/);
  return Number(whole) * 1e9 + Number(fraction.slice(0, 9).padEnd(9, '0'));
};

/**
 * The ledger of issue #9 against the running system: money counted exactly, one price per call,
 * every call charged once, a caller's next call seeing its previous one settled.
 */
describe('the ledger: exact money, one price per call (real NATS, Postgres, supervised processes)', () => {
  let e2e: E2eSystem;
  let nc: NatsConnection;
  let gateway: string;
  let providerId: string;
  let seq = 0;

  const call = async (key: string, body: Record<string, unknown>): Promise<Call> => {
    const requestId = `ledger-${++seq}`;
    const res = await fetch(`${gateway}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null, requestId };
  };
  const rawCall = (key: string, body: Record<string, unknown>, via = gateway): Promise<RawCall> => {
    const requestId = `ledger-${++seq}`;
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        `${via}/chat/completions`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': requestId },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const cost = res.trailers['x-sluice-cost-usd'] ?? res.headers['x-sluice-cost-usd'];
            resolve({ status: res.statusCode ?? 0, requestId, cost: typeof cost === 'string' ? cost : undefined });
          });
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  };
  const createKey = async (body: Record<string, unknown>): Promise<{ id: string; key: string }> => {
    const created = await e2e.admin('POST', '/keys', body);
    expect(created.status).toBe(201);
    return { id: created.body.id, key: created.body.key };
  };
  const stateOf = async (keyId: string): Promise<KeyLimitState> =>
    (await request<KeyStateReply>(nc, Subjects.rpc.policyKeyState, { keyIds: [keyId] }, { timeoutMs: 2000 })).states[
      keyId
    ];
  const addModel = async (
    name: string,
    price: { input: number; output: number },
    extra: Record<string, unknown> = {},
  ) => {
    const created = await e2e.admin('POST', '/models', {
      name,
      providerId,
      upstreamModel: 'mock-gpt',
      inputUsdPerMTok: price.input / 1000,
      outputUsdPerMTok: price.output / 1000,
      ...extra,
    });
    expect(created.status).toBe(201);
  };
  /** What the upstream invoiced for a call, priced at nano-dollars per token. */
  const invoiced = (requestId: string, price: { input: number; output: number }) => {
    const entry = e2e.upstream.invoice.byRequest.get(requestId);
    if (!entry) throw new Error(`the upstream never saw ${requestId}`);
    return entry.promptTokens * price.input + entry.completionTokens * price.output;
  };

  beforeAll(async () => {
    // A short reservation TTL, so a call can outlive its reservation within a test.
    e2e = await startE2eSystem({ env: { SLUICE_POLICY_RESERVATION_TTL_MS: String(TTL_MS) } });
    gateway = e2e.system.gatewayUrl.replace('localhost', '127.0.0.1');
    nc = await connectNats(e2e.nats.url, 'ledger-e2e');
    const provider = await e2e.admin('POST', '/providers', {
      name: 'ledger-upstream',
      type: 'openai-compatible',
      apiKey: 'sk-upstream-ledger-0123456789',
      baseUrl: e2e.upstream.url,
    });
    providerId = provider.body.id;
    await addModel('cheap', CHEAP);
  });
  afterAll(async () => {
    await nc?.drain();
    await e2e?.stop();
  });

  it('shows every amount as the exact decimal: cost headers, budget state, webhook, dry run, usage and request log', async () => {
    const hooks: { raw: string; body: any }[] = [];
    const hook: Server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        hooks.push({ raw, body: JSON.parse(raw) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    try {
      const messages = [{ role: 'user', content: 'Reply with 13 words about weirs' }];
      // max_tokens keeps a call's worst case (its reservation) within the small budget below.
      const body = { model: 'cheap', messages, max_tokens: 40 };
      const probe = await call((await createKey({ name: 'exact-probe' })).key, body);
      const perCall = invoiced(probe.requestId, CHEAP);
      // Five calls cross 50 % of a budget of ten: the webhook reports a sum of five float prices.
      const webhookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/ledger`;
      const { id, key } = await createKey({
        name: 'exact',
        budget: { maxUsd: Number(usd(perCall * 10)), alertThresholds: [50], webhookUrl },
      });
      for (let i = 0; i < 5; i++) {
        const r = await call(key, body);
        expect(r.status).toBe(200);
        expect(r.headers.get('x-sluice-cost-usd')).toBe(usd(invoiced(r.requestId, CHEAP)));
      }
      const spent = perCall * 5;
      await spendSettled(async () => (await stateOf(id)).budget, spent);
      const shown = await e2e.admin('GET', `/keys/${id}`);
      expect(shown.body.budget).toMatchObject({
        spentUsd: Number(usd(spent)),
        reservedUsd: 0,
        remainingUsd: Number(usd(spent)),
      });

      await waitFor(() => hooks.some((h) => h.body.keyId === id), {
        timeoutMs: 10_000,
        intervalMs: 50,
        description: 'the 50 % webhook',
      });
      const notified = hooks.find((h) => h.body.keyId === id)!;
      expect(notified.body.data.spentUsd).toBe(Number(usd(spent)));
      expect(notified.raw).toContain(`"spentUsd":${JSON.stringify(Number(usd(spent)))}`);

      const dryRun = await e2e.admin('POST', `/keys/${id}/simulate`, {
        model: 'cheap',
        inputTokens: 33,
        maxTokens: 41,
      });
      expect(dryRun.body.reservedUsd).toBe(Number(usd(33 * CHEAP.input + 41 * CHEAP.output))); // 0.00002955

      await waitFor(async () => (await e2e.admin('GET', `/requests?keyId=${id}`)).body.data.length === 5, {
        timeoutMs: 5000,
        intervalMs: 25,
      });
      const usage = await e2e.admin('GET', `/keys/${id}/usage?granularity=hour`);
      expect(usage.body.totals.spendUsd).toBe(Number(usd(spent)));
      expect((await e2e.admin('GET', `/keys/${id}`)).body.usage.spendUsd).toBe(Number(usd(spent)));
      const log = await e2e.admin('GET', `/requests?keyId=${id}`);
      expect(log.body.data.map((r: any) => r.costUsd)).toEqual(Array(5).fill(Number(usd(perCall))));
    } finally {
      await new Promise((resolve) => hook.close(resolve));
    }
  });

  it('prices each of 100 mixed calls once, across a price change: cost header = request log = budget charge, call by call', async () => {
    const DEAR = { input: 2000, output: 8000 };
    const before = { cheap: CHEAP, dear: DEAR };
    const after = { cheap: { input: 300, output: 1200 }, dear: { input: 2500, output: 9000 } };
    await addModel('dear', DEAR);
    // A second gateway whose clock runs 5 s ahead, as a host's clock may: a call it serves just
    // before the price change carries a start time after it. And metering is behind (restarting)
    // across the change. Neither may move a call's price.
    const skew = join(mkdtempSync(join(tmpdir(), 'sluice-skew-')), 'skew.js');
    writeFileSync(skew, 'const now = Date.now; Date.now = () => now() + 5000;\n');
    const skewed = await e2e.startGateway({ SLUICE_NODE_ARGS: `--require ${skew}` });
    const via = (i: number) => (i % 3 === 2 ? skewed.url : gateway);
    const metering = e2e.system.services.get('metering')!;
    const { id, key } = await createKey({ name: 'one-price', budget: { maxUsd: 100 } });
    const spentNanos = async () => Math.round((await stateOf(id)).budget!.spentUsd * 1e9);
    const settled = () =>
      spendSettled(
        async () => (await stateOf(id)).budget,
        served.reduce((sum, s) => sum + nanosOf(s.call.cost!), 0),
      );
    // Nothing reserved and the call's charge in: "nothing reserved" alone can come first, as a leased
    // call's start reaches policy through its gateway's NATS connection and this question through the
    // admin API's, which a loaded machine may deliver in either order (every call here costs > 0).
    const chargedAfter = (spentBefore: number) =>
      waitFor(
        async () => {
          const budget = (await stateOf(id)).budget;
          return budget?.reservedUsd === 0 && Math.round(budget.spentUsd * 1e9) > spentBefore;
        },
        { timeoutMs: 5000, intervalMs: 10 },
      );
    const bodyOf = (i: number) => ({
      model: i % 4 < 2 ? 'cheap' : 'dear',
      messages: [{ role: 'user', content: `Reply with ${10 + (i % 7)} words, call ${i}` }],
      max_tokens: 60,
      ...(i % 2 === 1 ? { stream: true, stream_options: { include_usage: i % 3 === 0 } } : {}),
    });
    const served: { call: RawCall; model: string; prices: typeof before | null; chargedNanos: number | null }[] = [];

    // One call at a time: what the budget was charged for each call is the spend it added.
    const oneByOne = async (count: number, prices: typeof before) => {
      for (let i = 0; i < count; i++) {
        const spentBefore = await spentNanos();
        const body = bodyOf(served.length);
        const r = await rawCall(key, body, via(served.length));
        expect(r.status).toBe(200);
        await chargedAfter(spentBefore);
        served.push({ call: r, model: body.model, prices, chargedNanos: (await spentNanos()) - spentBefore });
      }
    };
    await oneByOne(30, before);
    await metering.stop();
    await oneByOne(10, before);

    // The price change, with calls running right through it: delete and re-add both models.
    let stopAt = Infinity;
    const workers = Array.from({ length: 4 }, async () => {
      while (served.length < Math.min(stopAt, 90)) {
        const body = bodyOf(served.length + 1);
        const r = await rawCall(key, body, via(served.length + 1));
        if (r.status === 200) served.push({ call: r, model: body.model, prices: null, chargedNanos: null });
        else expect([404]).toContain(r.status); // the model between its removal and its return
      }
    });
    for (const [name, price] of Object.entries(after)) {
      expect((await e2e.admin('DELETE', `/models/${name}`)).status).toBe(204);
      await addModel(name, price);
    }
    stopAt = served.length + 8; // a few calls at the new prices while the workers still run
    await Promise.all(workers);
    await metering.restart();
    await settled();
    const spentAfterChange = await spentNanos();
    await oneByOne(100 - served.length, after);
    expect(served.length).toBe(100);

    await waitFor(
      async () =>
        (await e2e.database.db.selectFrom('usage_records').select('request_id').where('key_id', '=', id).execute())
          .length === 100,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    const rows = await e2e.database.db
      .selectFrom('usage_records')
      .select(['request_id', 'cost_usd'])
      .where('key_id', '=', id)
      .execute();
    const logged = new Map(rows.map((r) => [r.request_id, nanosOf(String(r.cost_usd))]));
    const viaApi = new Map<string, number>();
    for (let cursor: string | null = ''; cursor !== null; ) {
      const page = await e2e.admin('GET', `/requests?keyId=${id}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      for (const r of page.body.data) viaApi.set(r.clientRequestId, Math.round(r.costUsd * 1e9));
      cursor = page.body.nextCursor;
    }
    for (const { call: c, model, prices, chargedNanos } of served) {
      const header = nanosOf(c.cost!);
      const invoice = e2e.upstream.invoice.byRequest.get(c.requestId)!;
      expect({ id: c.requestId, log: viaApi.get(c.requestId) }).toEqual({ id: c.requestId, log: header });
      if (prices) {
        const price = prices[model as keyof typeof prices];
        expect({ id: c.requestId, header }).toEqual({
          id: c.requestId,
          header: invoice.promptTokens * price.input + invoice.completionTokens * price.output,
        });
        expect({ id: c.requestId, charged: chargedNanos }).toEqual({ id: c.requestId, charged: header });
      }
    }
    expect([...logged.values()].reduce((a, b) => a + b, 0)).toBe(
      served.reduce((sum, s) => sum + nanosOf(s.call.cost!), 0),
    );
    expect(await spentNanos()).toBe(served.reduce((sum, s) => sum + nanosOf(s.call.cost!), 0));
    expect(spentAfterChange).toBe(
      served.filter((s) => s.prices !== after).reduce((sum, s) => sum + nanosOf(s.call.cost!), 0),
    );
  });

  it('counts a budget given to a key that has spent already from that moment, live and after policy restarts', async () => {
    const { id, key } = await createKey({ name: 'budget-later', rateLimits: { requestsPerDay: 1000 } });
    const body = { model: 'cheap', messages: [{ role: 'user', content: 'Reply with 9 words' }], max_tokens: 40 };
    for (let i = 0; i < 3; i++) expect((await call(key, body)).status).toBe(200);
    const patched = await e2e.admin('PATCH', `/keys/${id}`, { budget: { maxUsd: 1 } });
    expect(patched.status).toBe(200);
    const after: number[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await call(key, body);
      expect(r.status).toBe(200);
      after.push(nanosOf(r.headers.get('x-sluice-cost-usd')!));
    }
    await spendSettled(async () => (await stateOf(id)).budget, after[0] + after[1]);
    const spent = Number(usd(after[0] + after[1]));

    const policy = e2e.system.services.get('policy')!;
    await waitFor(
      async () =>
        (await e2e.database.db.selectFrom('usage_records').select('request_id').where('key_id', '=', id).execute())
          .length === 5,
      { timeoutMs: 5000, intervalMs: 25 },
    );
    await policy.restart();
    expect((await stateOf(id)).budget?.spentUsd).toBe(spent);
    const shown = await e2e.admin('GET', `/keys/${id}`);
    expect(shown.body.budget).toMatchObject({ spentUsd: spent, countsFrom: expect.any(String) });
    expect(Date.parse(shown.body.budget.countsFrom)).toBeGreaterThan(Date.parse(shown.body.budget.periodStart));
  });

  it('charges a stream held past the reservation TTL once: its late report corrects the sweep, in policy and in metering', async () => {
    const trickle = await startMockUpstream({ chunkDelayMs: 40 });
    try {
      const provider = await e2e.admin('POST', '/providers', {
        name: 'trickle',
        type: 'openai-compatible',
        apiKey: 'sk-upstream-trickle-0123456789',
        baseUrl: trickle.url,
      });
      const model = await e2e.admin('POST', '/models', {
        name: 'trickle',
        providerId: provider.body.id,
        upstreamModel: 'mock-gpt',
        inputUsdPerMTok: 0.15,
        outputUsdPerMTok: 0.6,
        maxOutputTokens: 1000,
      });
      expect(model.status).toBe(201);
      const { id, key } = await createKey({
        name: 'held-open',
        rateLimits: { maxParallelRequests: 1 },
        budget: { maxUsd: 1 },
      });
      const requestId = `ledger-${++seq}`;
      // About 250 chunks, 40 ms apart: the stream lasts well past the 5 s TTL and the sweep after it.
      const body = {
        model: 'trickle',
        stream: true,
        messages: [{ role: 'user', content: 'Reply with 250 words about a weir' }],
      };
      let reservedWorstCase = 0;
      const trailer = await new Promise<string | undefined>((resolve, reject) => {
        const req = httpRequest(
          `${gateway}/chat/completions`,
          {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': requestId },
          },
          (res) => {
            // The client stops reading after the first bytes, and resumes only once policy swept the call.
            res.once('data', () => {
              res.pause();
              void waitFor(async () => (await stateOf(id)).rateLimits.maxParallelRequests?.inFlight === 0, {
                timeoutMs: 4 * TTL_MS,
                intervalMs: 50,
                description: 'the sweep',
              })
                .then(async () => {
                  reservedWorstCase = Math.round((await stateOf(id)).budget!.spentUsd * 1e9);
                  res.resume();
                })
                .catch(reject);
            });
            res.on('data', () => {});
            res.on('end', () => resolve(res.trailers['x-sluice-cost-usd']));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
      const invoice = trickle.invoice.byRequest.get(requestId)!;
      const real = invoice.promptTokens * CHEAP.input + invoice.completionTokens * CHEAP.output;
      expect(invoice.completed).toBe(true);
      expect(reservedWorstCase).toBeGreaterThan(real); // swept at the worst case while it ran
      expect(trailer).toBe(usd(real));

      await waitFor(async () => Math.round((await stateOf(id)).budget!.spentUsd * 1e9) === real, {
        timeoutMs: 5000,
        intervalMs: 25,
        description: 'policy to correct the sweep',
      });
      await waitFor(
        async () =>
          (
            await e2e.database.db
              .selectFrom('usage_corrections')
              .select('request_id')
              .where('key_id', '=', id)
              .execute()
          ).length === 1,
        { timeoutMs: 5000, intervalMs: 25 },
      );
      const record = await e2e.database.db
        .selectFrom('usage_calls')
        .select(['swept', 'cost_usd', 'output_tokens', 'status'])
        .where('key_id', '=', id)
        .execute();
      expect(record.map((r) => ({ ...r, cost_usd: nanosOf(String(r.cost_usd)) }))).toEqual([
        { swept: true, cost_usd: real, output_tokens: invoice.completionTokens, status: 200 },
      ]);
      const spend = await e2e.database.db
        .selectFrom('key_spend')
        .select(['requests', 'spend_usd', 'output_tokens'])
        .where('key_id', '=', id)
        .executeTakeFirstOrThrow();
      expect({
        requests: spend.requests,
        spendNanos: nanosOf(String(spend.spend_usd)),
        outputTokens: spend.output_tokens,
      }).toEqual({ requests: '1', spendNanos: real, outputTokens: String(invoice.completionTokens) });
      const log = await e2e.admin('GET', `/requests?keyId=${id}`);
      expect(log.body.data).toEqual([
        expect.objectContaining({
          costUsd: Number(usd(real)),
          swept: true,
          sweptCostUsd: Number(usd(reservedWorstCase)),
        }),
      ]);
    } finally {
      await trickle.close();
    }
  });

  it('admits exactly the N sequential calls a budget fits, round after round: each call finds the previous one settled', async () => {
    const second = await e2e.startGateway();
    const gateways = [gateway, second.url];
    const messages = [{ role: 'user', content: 'Reply with 12 words about a lock' }];
    // A worst case above N calls' cost: any call still holding it would refuse the next one.
    await addModel('settle', CHEAP);
    const body = (i: number) => ({
      model: 'settle',
      messages,
      max_tokens: 3000,
      ...(i % 3 === 1 ? { stream: true } : {}),
    });
    const probeKey = (await createKey({ name: 'settle-probe' })).key;
    const costs = [];
    for (const i of [0, 1]) costs.push(nanosOf((await rawCall(probeKey, body(i))).cost!));
    expect(costs[0]).toBe(costs[1]); // a stream costs what the same call as JSON does
    const perCall = costs[0];
    const probe = await createKey({ name: 'settle-worst-case', budget: { maxUsd: 1 } });
    const dryRun = await e2e.admin('POST', `/keys/${probe.id}/simulate`, {
      model: 'settle',
      messages,
      maxTokens: 3000,
    });
    const worstCase = Math.round(dryRun.body.reservedUsd * 1e9);
    const N = 20;
    expect(worstCase).toBeGreaterThan(N * perCall);
    for (let round = 0; round < 3; round++) {
      // Fits N calls exactly: N - 1 settled ones plus the last one's worst case.
      const { id, key } = await createKey({
        name: `settle-round-${round}`,
        budget: { maxUsd: ((N - 1) * perCall + worstCase) / 1e9 },
      });
      const statuses: number[] = [];
      for (let i = 0; i <= N; i++) {
        const r = await rawCall(key, body(i), gateways[i % 2]);
        statuses.push(r.status);
        if (r.status === 200) expect(nanosOf(r.cost!)).toBe(perCall);
      }
      expect({ round, statuses }).toEqual({ round, statuses: [...Array(N).fill(200), 429] });
      await spendSettled(async () => (await stateOf(id)).budget, N * perCall);
    }
    await second.stop();
  });
});
