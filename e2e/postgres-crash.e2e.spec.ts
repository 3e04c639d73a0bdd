import OpenAI from 'openai';
import { sql } from 'kysely';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@sluice/testing';
import type { EmbeddedPostgres } from '@sluice/embedded';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(90_000);

const CONCURRENCY = 8;
const PACE_MS = 50;
/** When (ms after the load starts) Postgres is SIGKILLed, and for how long it stays down. */
const OUTAGES = [
  { at: 1500, downMs: 3000 },
  { at: 7000, downMs: 2500 },
];
/** The load runs this long after Postgres is back for the last time. */
const TAIL_MS = 1500;
const PRICE = { input: 3, output: 12 };

describe('exactly once while Postgres is killed mid-load (kill -9 twice, down for seconds each time)', () => {
  let e2e: E2eSystem;
  let postgres: EmbeddedPostgres;
  let key: { id: string; key: string };
  const prefix = `pgc-${Date.now()}`;

  beforeAll(async () => {
    e2e = await startE2eSystem({ ownPostgres: true, upstream: { chunkDelayMs: 5 } });
    postgres = e2e.postgres!;
    const provider = await e2e.admin('POST', '/providers', {
      name: 'pg-crash-upstream',
      type: 'openai-compatible',
      apiKey: 'sk-upstream-pgcrash-0123456789',
      baseUrl: e2e.upstream.url,
    });
    await e2e.admin('POST', '/models', {
      name: 'gpt-pgcrash',
      providerId: provider.body.id,
      upstreamModel: 'upstream-gpt',
      inputUsdPerMTok: PRICE.input,
      outputUsdPerMTok: PRICE.output,
    });
    const created = await e2e.admin('POST', '/keys', { name: 'pg-crash-app' });
    key = { id: created.body.id, key: created.body.key };
  });
  afterAll(() => e2e?.stop());

  const client = (apiKey: string, requestId: string) =>
    new OpenAI({
      apiKey,
      baseURL: e2e.system.gatewayUrl.replace('localhost', '127.0.0.1'),
      maxRetries: 0,
      timeout: 10_000,
      defaultHeaders: { 'x-request-id': requestId },
    });

  const call = async (i: number, finished: number[]): Promise<void> => {
    const openai = client(key.key, `${prefix}-${i}`);
    const messages = [
      { role: 'user' as const, content: `Call number ${i} while the database may be gone, answer at some length` },
    ];
    if (i % 2 === 1) {
      const stream = await openai.chat.completions.create({ model: 'gpt-pgcrash', messages, stream: true });
      for await (const _chunk of stream);
    } else {
      await openai.chat.completions.create({ model: 'gpt-pgcrash', messages });
    }
    finished.push(Date.now());
  };

  /** CONCURRENCY paced workers calling until `done` says stop. */
  const runLoad = async (done: () => boolean) => {
    let next = 0;
    const failures: string[] = [];
    const finished: number[] = [];
    const worker = async () => {
      while (!done()) {
        const i = next++;
        await call(i, finished).catch((err: { status?: number; message?: string }) =>
          failures.push(`${i}: ${err.status ?? ''} ${err.message ?? err}`),
        );
        await sleep(PACE_MS);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return { attempted: next, failures, finished };
  };

  const served = () => {
    const entries = [...e2e.upstream.invoice.byRequest.values()].filter((e) => e.requestId.startsWith(`${prefix}-`));
    return {
      requestIds: entries.map((e) => e.requestId),
      requests: entries.length,
      inputTokens: entries.reduce((s, e) => s + e.promptTokens, 0),
      outputTokens: entries.reduce((s, e) => s + e.completionTokens, 0),
    };
  };

  const recorded = async () => {
    const { rows } = await sql<{
      n: string;
      distinct_ids: string;
      distinct_request_ids: string;
      input: string | null;
      output: string | null;
      cost: string | null;
    }>`
      select count(*) as n, count(distinct client_request_id) as distinct_ids, count(distinct request_id) as distinct_request_ids,
             sum(input_tokens) as input, sum(output_tokens) as output, sum(cost_usd) as cost
      from usage_records where key_id = ${key.id}`.execute(e2e.database.db);
    const r = rows[0];
    return {
      rows: Number(r.n),
      distinctIds: Number(r.distinct_ids),
      distinctRequestIds: Number(r.distinct_request_ids),
      inputTokens: Number(r.input ?? 0),
      outputTokens: Number(r.output ?? 0),
      costUsd: r.cost ?? '0',
    };
  };

  const keySpend = async () => {
    const row = await e2e.database.db
      .selectFrom('key_spend')
      .select(['requests', 'input_tokens', 'output_tokens', 'spend_usd'])
      .where('key_id', '=', key.id)
      .executeTakeFirst();
    return (
      row && {
        requests: Number(row.requests),
        inputTokens: Number(row.input_tokens),
        outputTokens: Number(row.output_tokens),
        spendUsd: String(row.spend_usd),
      }
    );
  };

  it('keeps serving calls during the outage and records each served call once after Postgres is back', async () => {
    const startedAt = Date.now();
    const down: { from: number; to: number }[] = [];
    const adminWhileDown: { write: string; read: string; status: number[]; ms: number }[] = [];
    let chaosDone = false;
    let loadDoneAt = Infinity;
    const chaos = (async () => {
      for (const outage of OUTAGES) {
        await sleep(Math.max(0, startedAt + outage.at - Date.now()));
        const from = Date.now();
        postgres.kill();
        await postgres.waitForExit();
        // The admin API needs Postgres for writes (key-registry) and reads (the read models).
        const asked = Date.now();
        const [write, read] = await Promise.all([
          e2e.admin('POST', '/keys', { name: 'during-the-outage' }),
          e2e.admin('GET', `/keys/${key.id}`),
        ]);
        adminWhileDown.push({
          write: write.body?.error?.code ?? write.status,
          read: read.body?.error?.code ?? read.status,
          status: [write.status, read.status],
          ms: Date.now() - asked,
        });
        await sleep(Math.max(0, from + outage.downMs - Date.now()));
        await postgres.restart();
        down.push({ from, to: Date.now() });
      }
    })().finally(() => {
      // Also when the chaos failed, so the load stops and the failure is reported.
      loadDoneAt = Date.now() + TAIL_MS;
      chaosDone = true;
    });

    const load = await runLoad(() => chaosDone && Date.now() >= loadDoneAt);
    await chaos;
    const loadMs = Date.now() - startedAt;

    const invoice = served();
    const finishedWhileDown = load.finished.filter((t) => down.some((d) => t >= d.from && t <= d.to)).length;
    console.log(
      `postgres-crash: ${load.attempted} attempted, ${invoice.requests} served, ${load.failures.length} failed at the client, ${finishedWhileDown} finished while Postgres was down ` +
        `(${down.map((d) => `${d.to - d.from} ms`).join(', ')}), load ${loadMs} ms; admin API while down: ${JSON.stringify(adminWhileDown)}; failures: ${load.failures.slice(0, 5).join(' | ')}`,
    );
    // Nothing on the hot path touches Postgres: the gateway serves every call through both outages.
    expect(load.failures).toEqual([]);
    expect(invoice.requests).toBe(load.attempted);
    expect(finishedWhileDown).toBeGreaterThan(20);
    // The admin API says "retry" (503 UNAVAILABLE) while the database is down, rather than 500 or hanging.
    expect(adminWhileDown.map(({ write, read, status }) => ({ write, read, status }))).toEqual(
      OUTAGES.map(() => ({ write: 'UNAVAILABLE', read: 'UNAVAILABLE', status: [503, 503] })),
    );

    const caughtUp = await waitFor(
      async () => {
        const r = await recorded();
        return r.rows >= invoice.requests ? r : null;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: 'metering to record every served call' },
    ).catch(() => recorded());
    const caughtUpMs = Date.now() - startedAt;
    // Let any late redelivery land before judging "never twice".
    await sleep(1000);
    const final = await recorded();
    const { rows: ids } = await sql<{
      id: string;
    }>`select client_request_id as id from usage_records where key_id = ${key.id}`.execute(e2e.database.db);
    const recordedIds = new Set(ids.map((r) => r.id));
    const missing = invoice.requestIds.filter((id) => !recordedIds.has(id));
    const restarts = Object.fromEntries([...e2e.system.services].map(([name, service]) => [name, service.restarts]));
    console.log(
      `postgres-crash: ${final.rows} recorded, all recorded ${caughtUpMs} ms after the start; restarts: ${JSON.stringify(restarts)}; missing: ${missing.join(',')}`,
    );

    expect(missing).toEqual([]);
    expect(caughtUp.rows).toBe(invoice.requests);
    expect(final).toEqual({
      rows: invoice.requests,
      distinctIds: invoice.requests,
      distinctRequestIds: invoice.requests,
      inputTokens: invoice.inputTokens,
      outputTokens: invoice.outputTokens,
      costUsd: expect.any(String),
    });
    expect(Number(final.costUsd)).toBeCloseTo(
      (invoice.inputTokens * PRICE.input + invoice.outputTokens * PRICE.output) / 1e6,
      9,
    );
    expect(await keySpend()).toEqual({
      requests: final.rows,
      inputTokens: final.inputTokens,
      outputTokens: final.outputTokens,
      spendUsd: final.costUsd,
    });

    // No service crashed over the outages (a dropped connection must not kill a process), and each is ready.
    expect(restarts).toEqual({ 'key-registry': 0, policy: 0, metering: 0, 'admin-api': 0, gateway: 0 });
    for (const [name, service] of e2e.system.services) {
      const ready = await waitFor(async () => (await fetch(`${service.spec.url}/ready`)).ok, {
        timeoutMs: 15_000,
        description: `${name} to be ready`,
      });
      expect([name, ready]).toEqual([name, true]);
    }

    // Admin writes work again once Postgres is back, and reach the hot path.
    const created = await e2e.admin('POST', '/keys', { name: 'after-the-outage' });
    expect(created.status).toBe(201);
    const reply = await client(created.body.key, `${prefix}-after`).chat.completions.create({
      model: 'gpt-pgcrash',
      messages: [{ role: 'user', content: 'hello again' }],
    });
    expect(reply.choices[0].message.content).toEqual(expect.any(String));
    const { body } = await e2e.admin('GET', `/keys/${key.id}`);
    expect(body.usage).toEqual({
      requests: invoice.requests,
      inputTokens: invoice.inputTokens,
      outputTokens: invoice.outputTokens,
      spendUsd: expect.any(Number),
    });
  });
});
