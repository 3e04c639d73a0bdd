import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { run, type Io } from '@sluice/cli';
import { Streams, Subjects } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { appendToStream } from '@sluice/event-store';
import { connectNats, request, type NatsConnection } from '@sluice/messaging';
import { migrateSystem, streamMessages, waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(120_000);

/** A Slack-style webhook's token, in its URL path: whoever reads the URL can post to the channel. */
const token = () => randomBytes(18).toString('base64url');

/**
 * A key's budget webhook URL is a secret: sealed in key-registry's vault, opened only to deliver,
 * shown everywhere else as a hint. The whole system's NATS traffic, Postgres and answers are scanned.
 */
describe('budget webhook URLs are secrets (the running system)', () => {
  let e2e: E2eSystem;
  let nc: NatsConnection;
  let hook: Server;
  let base: string;
  const traffic: { subject: string; data: string }[] = [];
  const delivered: { path: string; body: any }[] = [];
  const [first, second, legacy] = [token(), token(), token()];
  const tokens = { first, second, legacy };

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        delivered.push({ path: req.url ?? '', body: JSON.parse(raw) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
    // What a version before the vault left: a schema 1 KeyCreated with the URL in its budget, and its projection.
    e2e = await startE2eSystem({
      beforeServices: (database) => migrateSystem(database.db).then(() => writeLegacyKey(database.db, url(legacy))),
    });
    nc = await connectNats(e2e.nats.url, 'webhook-secrets-test');
    // Every message on the bus from here on: events, commands, replies, JetStream deliveries.
    nc.subscribe('>', { callback: (_err, msg) => void traffic.push({ subject: msg.subject, data: msg.string() }) });
    await nc.flush();
  });
  afterAll(async () => {
    await nc?.close();
    await e2e?.stop();
    await new Promise((resolve) => hook?.close(resolve));
  });

  const url = (secret: string) => `${base}/services/T0000/B0000/${secret}`;
  const legacyKeyId = `key_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  async function writeLegacyKey(db: Kysely<Database>, webhookUrl: string): Promise<void> {
    const keyId = legacyKeyId;
    const createdAt = new Date().toISOString();
    const budget = { maxUsd: 10, period: null, alertThresholds: [50, 80, 100], webhookUrl };
    const data = {
      keyId,
      keyHash: randomBytes(32).toString('hex'),
      keyHint: 'sk-sluice-Lg…cy00',
      createdAt,
      name: 'legacy',
      description: null,
      models: null,
      operations: null,
      ipAllowlist: null,
      providerIds: null,
      expiresAt: null,
      metadata: {},
      rateLimits: null,
      budget,
    };
    await appendToStream(db, {
      streamId: `key-${keyId}`,
      streamType: 'key',
      expectedVersion: 'no_stream',
      events: [
        {
          eventId: randomUUID(),
          type: 'KeyCreated',
          schemaVersion: 1,
          data,
          metadata: { actor: 'env-owner', occurredAt: createdAt },
        },
      ],
    });
    await db
      .insertInto('keys_view')
      .values({
        id: keyId,
        name: 'legacy',
        description: null,
        status: 'active',
        key_hash: data.keyHash,
        key_hint: data.keyHint,
        models: null,
        operations: null,
        expires_at: null,
        metadata: '{}',
        created_at: createdAt,
        revoked_at: null,
        version: 1,
        ip_allowlist: null,
        provider_ids: null,
        previous_key_hash: null,
        previous_key_expires_at: null,
        updated_at: null,
        rate_limits: null,
        budget: JSON.stringify(budget),
        budget_period_start: createdAt,
        budget_thresholds_reached: '[]',
      })
      .execute();
  }
  const threshold = async (keyId: string) => {
    const periodStart = (await e2e.admin('GET', `/keys/${keyId}`)).body.budget.periodStart;
    await request(nc, Subjects.rpc.keyRegistry('record-budget-threshold'), {
      keyId,
      thresholdPercent: 50,
      periodStart,
      spentUsd: 5,
      maxUsd: 10,
    });
  };
  const deliveredTo = (secret: string, keyId: string) =>
    waitFor(() => delivered.find((d) => d.path.endsWith(secret) && d.body.keyId === keyId), {
      timeoutMs: 10_000,
      description: 'the webhook delivery',
    });
  const leaked = (text: string) =>
    Object.entries(tokens)
      .filter(([, secret]) => text.includes(secret))
      .map(([name]) => name);

  it('stores it sealed, shows a hint, and delivers to it', async () => {
    const created = await e2e.admin('POST', '/keys', {
      name: 'hooked',
      budget: { maxUsd: 10, webhookUrl: url(first) },
    });
    expect(created.status).toBe(201);
    expect(created.body.budget).toMatchObject({ webhookUrlHint: `${base}/…${first.slice(-4)}` });
    expect(created.body.budget.webhookUrl).toBeUndefined();
    const patched = await e2e.admin('PATCH', `/keys/${created.body.id}`, {
      budget: { maxUsd: 10, webhookUrl: url(second) },
    });
    expect(patched).toMatchObject({
      status: 200,
      body: { budget: { webhookUrlHint: `${base}/…${second.slice(-4)}` } },
    });
    await threshold(created.body.id);
    await deliveredTo(second, created.body.id);
  });

  it('sealed the plain URL an older version wrote into the log and the read model when it started, and still delivers to it', async () => {
    const shown = (await e2e.admin('GET', `/keys/${legacyKeyId}`)).body;
    expect(shown.budget).toMatchObject({ webhookUrlHint: `${base}/…${legacy.slice(-4)}` });
    expect(e2e.output.join('\n')).toContain(
      'budget webhook URLs an older version kept in plain text are now sealed in the vault',
    );
    await threshold(legacyKeyId);
    await deliveredTo(legacy, legacyKeyId);
  });

  it('never shows the URL in an event, a read model, an answer, an export, a log line or on NATS', async () => {
    const { rows: events } = await sql<{
      row: string;
      schema_version: number;
    }>`select e::text as row, schema_version from events e`.execute(e2e.database.db);
    // The log is append-only: the one row an older version wrote keeps its URL, and nothing else has one.
    expect(events.filter((e) => leaked(e.row).length > 0).map((e) => [e.schema_version, leaked(e.row)])).toEqual([
      [1, ['legacy']],
    ]);

    const { rows: tables } = await sql<{
      name: string;
    }>`select table_name as name from information_schema.tables where table_schema = 'public' and table_name not in ('events', 'key_webhook_urls')`.execute(
      e2e.database.db,
    );
    for (const { name } of tables) {
      const { rows } = await sql<{
        dump: string | null;
      }>`select string_agg(t::text, '') as dump from ${sql.table(name)} t`.execute(e2e.database.db);
      expect([name, leaked(rows[0].dump ?? '')]).toEqual([name, []]);
    }
    const sealed = await e2e.database.db.selectFrom('key_webhook_urls').select(['key_id', 'ciphertext']).execute();
    expect(sealed).toHaveLength(2);
    expect(sealed.flatMap((r) => leaked(r.ciphertext.toString('latin1')))).toEqual([]);

    const keys = (await e2e.admin('GET', '/keys')).body.data as { id: string }[];
    const answers = [JSON.stringify(keys)];
    for (const { id } of keys) {
      answers.push(JSON.stringify((await e2e.admin('GET', `/keys/${id}`)).body));
      answers.push(JSON.stringify((await e2e.admin('GET', `/keys/${id}/effective-policy`)).body));
    }
    const res = (path: string) =>
      fetch(`${e2e.system.adminUrl}/admin/v1${path}`, {
        headers: { authorization: `Bearer ${e2e.system.adminToken}` },
      }).then((r) => r.text());
    const ndjson = await res('/audit/export?format=ndjson');
    answers.push(
      JSON.stringify((await e2e.admin('GET', '/audit/events?limit=1000')).body),
      ndjson,
      await res('/audit/export?format=csv'),
    );
    expect(answers.flatMap(leaked)).toEqual([]);
    expect(JSON.stringify((await e2e.admin('GET', `/keys/${keys[0].id}/effective-policy`)).body)).toContain(
      'webhookUrlHint',
    );
    expect(e2e.output.flatMap(leaked)).toEqual([]);

    // The export shows the old row redacted, and still verifies: its links are checked, its content by the database.
    const redacted = ndjson
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((line) => line.redacted);
    expect(redacted).toEqual([
      expect.objectContaining({
        type: 'KeyCreated',
        schemaVersion: 1,
        data: expect.objectContaining({
          budget: expect.objectContaining({ webhookUrlHint: `${base}/…${legacy.slice(-4)}` }),
        }),
      }),
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-export-'));
    try {
      writeFileSync(join(dir, 'export.ndjson'), ndjson);
      const out: string[] = [];
      const io: Io = {
        out: (...l) => out.push(...l),
        err: (...l) => out.push(...l),
        env: {},
        cwd: dir,
        projectDir: dir,
      };
      expect(await run(['audit', 'verify', '--file', 'export.ndjson'], io)).toBe(0);
      expect(out.join('\n')).toContain('1 redacted line(s)');
      expect((await e2e.admin('GET', '/audit/verify')).body).toMatchObject({ ok: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // JetStream holds every event as the relay published it: the old row in its current shape.
    expect((await streamMessages<unknown>(nc, Streams.events.name)).flatMap((m) => leaked(JSON.stringify(m)))).toEqual(
      [],
    );
    // On the bus: only the admin command that carries a new URL to key-registry (as a provider key
    // is carried to it), never an event, a reply or a delivery.
    expect(traffic.length).toBeGreaterThan(20);
    const onTheBus = traffic.filter((m) => leaked(m.data).length > 0).map((m) => [m.subject, leaked(m.data)]);
    expect(onTheBus).toEqual([
      [Subjects.rpc.keyRegistry('create-key'), ['first']],
      [Subjects.rpc.keyRegistry('update-key'), ['second']],
    ]);
  });
});
