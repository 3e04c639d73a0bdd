import OpenAI from 'openai';
import { sql } from 'kysely';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(120_000);

const CALLS = 200;
const CONCURRENCY = 8;
const PACE_MS = 150;
const KILL_EVERY_MS = 2500;
const NATS_RESTART_AT_MS = 5000;
const NATS_DOWN_MS = 2000;
const PRICE = { input: 2, output: 8 };

interface Billed {
  requests: number;
  inputTokens: number;
  outputTokens: number;
}

describe('exactly once under chaos (kill -9 of metering every few seconds, nats-server restarted mid-run)', () => {
  let e2e: E2eSystem;
  let key: { id: string; key: string };
  const prefix = `eo-${Date.now()}`;

  beforeAll(async () => {
    // Slow streams, so calls authorised before NATS goes down finish, and publish their usage, while it is down.
    e2e = await startE2eSystem({ upstream: { chunkDelayMs: 15 } });
    const provider = await e2e.admin('POST', '/providers', {
      name: 'chaos-upstream',
      type: 'openai-compatible',
      apiKey: 'sk-upstream-chaos-0123456789',
      baseUrl: e2e.upstream.url,
    });
    await e2e.admin('POST', '/models', {
      name: 'gpt-chaos',
      providerId: provider.body.id,
      upstreamModel: 'upstream-gpt',
      inputUsdPerMTok: PRICE.input,
      outputUsdPerMTok: PRICE.output,
    });
    const created = await e2e.admin('POST', '/keys', { name: 'chaos-app' });
    key = { id: created.body.id, key: created.body.key };
  });
  afterAll(() => e2e?.stop());

  const finishedAt: number[] = [];
  const call = async (i: number): Promise<void> => {
    const client = new OpenAI({
      apiKey: key.key,
      baseURL: e2e.system.gatewayUrl.replace('localhost', '127.0.0.1'),
      maxRetries: 0,
      timeout: 10_000,
      defaultHeaders: { 'x-request-id': `${prefix}-${i}` },
    });
    const messages = [{ role: 'user' as const, content: `Chaos call number ${i}, please answer at some length` }];
    if (i % 2 === 1) {
      const stream = await client.chat.completions.create({ model: 'gpt-chaos', messages, stream: true });
      for await (const _chunk of stream);
    } else {
      await client.chat.completions.create({ model: 'gpt-chaos', messages });
    }
    finishedAt.push(Date.now());
  };

  /** A steady, bounded load: CONCURRENCY workers, each pacing its calls. */
  const runLoad = async () => {
    let next = 0;
    const failures: string[] = [];
    const worker = async () => {
      while (next < CALLS) {
        const i = next++;
        await call(i).catch((err: { status?: number; message?: string }) =>
          failures.push(`${i}: ${err.status ?? ''} ${err.message ?? err}`),
        );
        await sleep(PACE_MS);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return failures;
  };

  const served = (): Billed => {
    const entries = [...e2e.upstream.invoice.byRequest.values()].filter((e) => e.requestId.startsWith(`${prefix}-`));
    return {
      requests: entries.length,
      inputTokens: entries.reduce((s, e) => s + e.promptTokens, 0),
      outputTokens: entries.reduce((s, e) => s + e.completionTokens, 0),
    };
  };

  const recorded = async () => {
    const { rows } = await sql<{
      n: string;
      distinct_ids: string;
      input: string | null;
      output: string | null;
      cost: string | null;
    }>`
      select count(*) as n, count(distinct client_request_id) as distinct_ids, sum(input_tokens) as input, sum(output_tokens) as output, sum(cost_usd) as cost
      from usage_records where key_id = ${key.id}`.execute(e2e.database.db);
    const r = rows[0];
    return {
      rows: Number(r.n),
      distinctIds: Number(r.distinct_ids),
      inputTokens: Number(r.input ?? 0),
      outputTokens: Number(r.output ?? 0),
      costUsd: Number(r.cost ?? 0),
    };
  };

  it('records every call the upstream served exactly once, in usage records and in the key spend', async () => {
    const metering = e2e.system.services.get('metering')!;
    const startedAt = Date.now();
    let loadDone = false;
    let kills = 0;
    const natsDown = { from: 0, to: 0 };
    const chaos = (async () => {
      let natsRestarted = false;
      while (!loadDone) {
        await sleep(KILL_EVERY_MS);
        if (loadDone) break;
        if (metering.pid) {
          metering.kill();
          kills++;
        }
        if (!natsRestarted && Date.now() - startedAt >= NATS_RESTART_AT_MS) {
          natsRestarted = true;
          natsDown.from = Date.now();
          await e2e.nats.kill();
          await sleep(NATS_DOWN_MS);
          await e2e.nats.restart();
          natsDown.to = Date.now();
        }
      }
      return natsRestarted;
    })();

    const failures = await runLoad();
    loadDone = true;
    const natsRestarted = await chaos;
    const loadMs = Date.now() - startedAt;

    const invoice = served();
    // Some calls may fail while NATS is down (policy unreachable): those never reached the upstream.
    expect(invoice.requests + failures.length).toBe(CALLS);
    expect(invoice.requests).toBeGreaterThan(CALLS / 2);
    expect(natsRestarted).toBe(true);
    // Calls the gateway finished while NATS was down: their usage had to wait in the gateway's publisher.
    const finishedWhileDown = finishedAt.filter((t) => t >= natsDown.from && t <= natsDown.to).length;
    expect(finishedWhileDown).toBeGreaterThan(0);
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(metering.restarts).toBeGreaterThanOrEqual(3);

    const caughtUp = await waitFor(
      async () => {
        const r = await recorded();
        return r.rows >= invoice.requests ? r : null;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    ).catch(async () => recorded());
    const caughtUpMs = Date.now() - startedAt;
    // Let any late redelivery land before judging "never twice".
    await sleep(1500);
    const final = await recorded();
    const { rows: ids } = await sql<{
      id: string;
    }>`select client_request_id as id from usage_records where key_id = ${key.id}`.execute(e2e.database.db);
    const recordedIds = new Set(ids.map((r) => r.id));
    const missing = [...e2e.upstream.invoice.byRequest.keys()].filter(
      (id) => id.startsWith(`${prefix}-`) && !recordedIds.has(id),
    );
    const unpublished = e2e.output.filter((line) => line.includes('could not be published'));
    console.log(
      `exactly-once: ${CALLS} attempted, ${invoice.requests} served, ${failures.length} failed at the client, ${finishedWhileDown} finished while NATS was down (${natsDown.to - natsDown.from} ms), ${final.rows} recorded, ` +
        `${kills} metering kills, ${metering.restarts} restarts, load ${loadMs} ms, all recorded ${caughtUpMs} ms after the start; failures: ${failures.slice(0, 3).join(' | ')}; missing: ${missing.join(',')}; ${unpublished.join(' | ')}`,
    );

    expect(missing).toEqual([]);
    expect(caughtUp.rows).toBe(invoice.requests);
    expect(final).toEqual({
      rows: invoice.requests,
      distinctIds: invoice.requests,
      inputTokens: invoice.inputTokens,
      outputTokens: invoice.outputTokens,
      costUsd: expect.any(Number),
    });
    expect(final.costUsd).toBeCloseTo(
      (invoice.inputTokens * PRICE.input + invoice.outputTokens * PRICE.output) / 1e6,
      9,
    );

    const { body } = await e2e.admin('GET', `/keys/${key.id}`);
    expect(body.usage).toEqual({
      requests: invoice.requests,
      inputTokens: invoice.inputTokens,
      outputTokens: invoice.outputTokens,
      spendUsd: expect.any(Number),
    });
    expect(body.usage.spendUsd).toBeCloseTo(final.costUsd, 9);
  });
});
