import { randomUUID } from 'node:crypto';
import { nanosOfUsd, type UsageMessage } from '@sluice/contracts';
import { usageFixture, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { recordUsageBatch } from './record-usage';

describe('recording usage (real Postgres)', () => {
  let t: TestDatabase;
  const recordUsage = async (message: UsageMessage) => {
    const result = await recordUsageBatch(t.db, [message]);
    return { recorded: result.recorded.has(message.requestId), costNanos: result.costNanos.get(message.requestId)! };
  };

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  const usage = (over: Partial<UsageMessage> = {}): UsageMessage =>
    // As the gateway priced it at $1 / $2 per million tokens.
    usageFixture(randomUUID(), {
      keyId: 'key_1',
      model: 'gpt-x',
      upstreamModel: 'gpt-x',
      providerId: 'p',
      inputTokens: 1000,
      outputTokens: 500,
      latencyMs: 12,
      startedAt: new Date().toISOString(),
      costNanos: 2_000_000,
      ...over,
    });

  it('records a call and adds its cost to the key spend exactly once, however often it is delivered', async () => {
    const message = usage({ keyId: 'key_once' });
    const results = await Promise.all([recordUsage(message), recordUsage(message), recordUsage(message)]);
    expect(results.filter((r) => r.recorded)).toHaveLength(1);
    expect(results[0].costNanos).toBe(1000 * 1000 + 500 * 2000);
    const spend = await t.db
      .selectFrom('key_spend')
      .selectAll()
      .where('key_id', '=', 'key_once')
      .executeTakeFirstOrThrow();
    expect(Number(spend.requests)).toBe(1);
    expect(spend.spend_usd).toBe('0.0020000000');
    const rows = await t.db.selectFrom('usage_records').select('request_id').where('key_id', '=', 'key_once').execute();
    expect(rows).toHaveLength(1);
  });

  it('stores the caller fields when given and nulls when an older message lacks them', async () => {
    const tagged = usage({
      keyId: 'key_tags',
      clientRequestId: 'req-abc',
      user: 'alice',
      metadata: { team: 'search' },
    });
    const old = usage({ keyId: 'key_tags' });
    await recordUsage(tagged);
    await recordUsage(old);
    const row = (id: string) =>
      t.db
        .selectFrom('usage_records')
        .select(['client_request_id', 'caller_user', 'caller_metadata'])
        .where('request_id', '=', id)
        .executeTakeFirstOrThrow();
    expect(await row(tagged.requestId)).toEqual({
      client_request_id: 'req-abc',
      caller_user: 'alice',
      caller_metadata: { team: 'search' },
    });
    expect(await row(old.requestId)).toEqual({ client_request_id: null, caller_user: null, caller_metadata: null });
  });

  it('refuses to edit or delete a usage record', async () => {
    const message = usage({ keyId: 'key_edit' });
    await recordUsage(message);
    await expect(
      t.db.updateTable('usage_records').set({ output_tokens: 0 }).where('request_id', '=', message.requestId).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(
      t.db.deleteFrom('usage_records').where('request_id', '=', message.requestId).execute(),
    ).rejects.toThrow(/append-only/);
  });

  it('records the cost the usage message carries: the one price the gateway and policy used', async () => {
    const carried = await recordUsage(usage({ keyId: 'key_carried', costNanos: 86_400 }));
    expect(carried.costNanos).toBe(86_400);
    const row = await t.db
      .selectFrom('usage_records')
      .select('cost_usd')
      .where('key_id', '=', 'key_carried')
      .executeTakeFirstOrThrow();
    expect(row.cost_usd).toBe('0.0000864000');
  });

  it('records a message written before nano-dollars at its decimal, and one without any cost at zero', async () => {
    const { costNanos: _, ...old } = usage({ keyId: 'key_upgrade' });
    expect((await recordUsage({ ...old, costUsd: 0.00008639999999999999 })).costNanos).toBe(86_400);
    expect((await recordUsage({ ...old, requestId: randomUUID() })).costNanos).toBe(0);
  });

  it('records each call of a batch once when the batch repeats one and holds one already recorded', async () => {
    const already = usage({ keyId: 'key_batch' });
    await recordUsage(already);
    const before = await t.db
      .selectFrom('key_spend')
      .selectAll()
      .where('key_id', '=', 'key_batch')
      .executeTakeFirstOrThrow();
    const twice = usage({ keyId: 'key_batch' });
    const fresh = usage({ keyId: 'key_batch', inputTokens: 2000, outputTokens: 0, costNanos: 2_000_000 });
    const other = usage({ keyId: 'key_batch_other' });
    const result = await recordUsageBatch(t.db, [twice, already, twice, fresh, other]);
    expect([...result.recorded].sort()).toEqual([twice.requestId, fresh.requestId, other.requestId].sort());
    const rows = await t.db
      .selectFrom('usage_records')
      .select('request_id')
      .where('key_id', 'in', ['key_batch', 'key_batch_other'])
      .execute();
    expect(rows.map((r) => r.request_id).sort()).toEqual(
      [already.requestId, twice.requestId, fresh.requestId, other.requestId].sort(),
    );
    const after = await t.db
      .selectFrom('key_spend')
      .selectAll()
      .where('key_id', '=', 'key_batch')
      .executeTakeFirstOrThrow();
    const priceNow = result.costNanos.get(twice.requestId)! + result.costNanos.get(fresh.requestId)!;
    expect(Number(after.requests) - Number(before.requests)).toBe(2);
    expect(Number(after.input_tokens) - Number(before.input_tokens)).toBe(3000);
    expect(Number(after.output_tokens) - Number(before.output_tokens)).toBe(500);
    expect(nanosOfUsd(after.spend_usd) - nanosOfUsd(before.spend_usd)).toBe(priceNow);
    const otherSpend = await t.db
      .selectFrom('key_spend')
      .selectAll()
      .where('key_id', '=', 'key_batch_other')
      .executeTakeFirstOrThrow();
    expect(Number(otherSpend.requests)).toBe(1);

    const replay = await recordUsageBatch(t.db, [twice, fresh, other, already]);
    expect(replay.recorded.size).toBe(0);
    const unchanged = await t.db
      .selectFrom('key_spend')
      .selectAll()
      .where('key_id', '=', 'key_batch')
      .executeTakeFirstOrThrow();
    expect(Number(unchanged.requests)).toBe(Number(after.requests));
  });

  describe('a swept call whose real report arrives after all', () => {
    const spendOf = (keyId: string) =>
      t.db
        .selectFrom('key_spend')
        .select(['requests', 'input_tokens', 'output_tokens', 'spend_usd'])
        .where('key_id', '=', keyId)
        .executeTakeFirstOrThrow();
    const call = (keyId: string) => t.db.selectFrom('usage_calls').selectAll().where('key_id', '=', keyId).execute();
    /** Policy's sweep: the worst case, flagged; then the gateway's real report of the same call. */
    const pair = (keyId: string) => {
      const requestId = randomUUID();
      const sweep = usage({
        requestId,
        keyId,
        swept: true,
        estimated: true,
        status: 0,
        inputTokens: 1000,
        outputTokens: 4096,
        costNanos: 9_192_000,
        latencyMs: 60_000,
      });
      const report = usage({
        requestId,
        keyId,
        stream: true,
        inputTokens: 900,
        outputTokens: 30,
        costNanos: 960_000,
        latencyMs: 75_000,
        user: 'alice',
      });
      return { sweep, report };
    };

    it('records the call once, at its real cost: spend and tokens move by the difference, the request count not at all', async () => {
      const { sweep, report } = pair('key_corrected');
      await recordUsage(sweep);
      expect(await spendOf('key_corrected')).toMatchObject({ requests: '1', spend_usd: '0.0091920000' });
      const result = await recordUsageBatch(t.db, [report]);
      expect([...result.corrected]).toEqual([report.requestId]);
      expect(await spendOf('key_corrected')).toMatchObject({
        requests: '1',
        input_tokens: '900',
        output_tokens: '30',
        spend_usd: '0.0009600000',
      });
      const [shown] = await call('key_corrected');
      expect(shown).toMatchObject({
        swept: true,
        swept_cost_usd: '0.0091920000',
        cost_usd: '0.0009600000',
        input_tokens: 900,
        output_tokens: 30,
        status: 200,
        stream: true,
        caller_user: 'alice',
        estimated: false,
      });
      // The swept row itself stays as written: the log is append-only.
      const row = await t.db
        .selectFrom('usage_records')
        .select(['cost_usd', 'output_tokens'])
        .where('request_id', '=', report.requestId)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ cost_usd: '0.0091920000', output_tokens: 4096 });
    });

    it('corrects once however often the report is delivered, and never lets the sweep undo a report', async () => {
      const { sweep, report } = pair('key_twice');
      await recordUsageBatch(t.db, [sweep]);
      await Promise.all([
        recordUsageBatch(t.db, [report]),
        recordUsageBatch(t.db, [report]),
        recordUsageBatch(t.db, [{ ...report, recovered: true }]),
      ]);
      await recordUsageBatch(t.db, [sweep]);
      expect(await spendOf('key_twice')).toMatchObject({ requests: '1', spend_usd: '0.0009600000' });
      const raced = pair('key_report_first');
      await recordUsageBatch(t.db, [raced.report]);
      await recordUsageBatch(t.db, [raced.sweep]);
      expect(await spendOf('key_report_first')).toMatchObject({ requests: '1', spend_usd: '0.0009600000' });
      expect(await call('key_report_first')).toMatchObject([{ swept: false, swept_cost_usd: null }]);
    });

    it('handles the sweep and the report in one batch, in the order the stream holds them', async () => {
      const { sweep, report } = pair('key_one_batch');
      const result = await recordUsageBatch(t.db, [sweep, report]);
      expect([...result.corrected]).toEqual([report.requestId]);
      expect(await spendOf('key_one_batch')).toMatchObject({ requests: '1', spend_usd: '0.0009600000' });
    });

    it('leaves a redelivered report of a call that was never swept alone', async () => {
      const plain = usage({ keyId: 'key_plain' });
      await recordUsage(plain);
      const again = await recordUsageBatch(t.db, [plain]);
      expect(again.corrected.size).toBe(0);
      expect(
        await t.db.selectFrom('usage_corrections').select('request_id').where('key_id', '=', 'key_plain').execute(),
      ).toEqual([]);
    });
  });
});
