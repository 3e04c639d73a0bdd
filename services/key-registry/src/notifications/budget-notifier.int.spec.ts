import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Subjects } from '@sluice/contracts';
import { readStream, type OutboxPublisher } from '@sluice/event-store';
import { connectNats, ensureStreams, request, type NatsConnection } from '@sluice/messaging';
import { UpstreamAllowList, systemResolver } from '@sluice/net-policy';
import type { Logger } from '@sluice/service';
import { startTestNats, waitFor, type TestNats, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { createKey } from '../keys/create-key/create-key.handler';
import { resetBudgetPeriod } from '../keys/reset-budget-period/reset-budget-period.handler';
import { updateKey } from '../keys/update-key/update-key.handler';
import { registerNatsHandlers } from '../nats-handlers';
import { createJetStreamOutbox } from '../outbox/jetstream-outbox';
import type { Deps } from '../shared/deps';
import { startBudgetNotifier } from './budget-notifier';
import { readWebhookUrl } from '../keys/webhook-vault';
import { WebhookSender } from './webhook-sender';
import { testDeps } from '../../test/deps';

const SECRET = 'whsec-test-0123456789';
const actor = { actor: 'admin:test' };

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

describe('budget webhooks (real NATS, Postgres and HTTP)', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let t: TestDatabase;
  let deps: Deps;
  let relay: OutboxPublisher;
  let notifier: { stop(): Promise<void> };
  let sender: WebhookSender;
  let server: Server;
  let base: string;
  let clock = new Date();
  const received: Received[] = [];
  const logged: { level: string; fields: object; msg: string }[] = [];
  /** How each path answers, attempt by attempt; 200 once the list is used up. */
  const script: Record<string, number[]> = {
    '/flaky': [500, 500],
    '/down': [503, 503, 503, 503],
    '/redirect': [302, 302, 302, 302],
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const path = (req.url ?? '').split('?')[0];
        const status = script[path]?.shift() ?? 200;
        received.push({ path, headers: req.headers, body, status });
        res.writeHead(status, path === '/redirect' ? { location: `${base}/elsewhere` } : {}).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    [nats, t] = await Promise.all([startTestNats(), createTestDatabase()]);
    nc = await connectNats(nats.url, 'budget-webhooks-test');
    await ensureStreams(nc);
    const upstream = { allow: UpstreamAllowList.parse('127.0.0.0/8'), resolve: systemResolver };
    deps = testDeps(t.db, () => clock, { upstream });
    const capture = (level: string) => (fields: object, msg: string) => logged.push({ level, fields, msg });
    const logger = { info: () => {}, warn: capture('warn'), error: capture('error') } as unknown as Logger;
    registerNatsHandlers(nc, deps, logger);
    relay = createJetStreamOutbox(t.db, t.url, nc, logger);
    relay.start();
    sender = new WebhookSender({ allow: upstream.allow, secret: SECRET });
    notifier = await startBudgetNotifier({
      nc,
      db: t.db,
      sender,
      webhookUrlOf,
      globalUrl: `${base}/global?token=g`,
      retry: { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 200 },
      logger,
    });
  });

  afterAll(async () => {
    await notifier?.stop();
    await relay?.stop();
    await sender?.close();
    await nc?.drain();
    await Promise.all([nats?.stop(), t?.drop(), new Promise((resolve) => server.close(resolve))]);
  });

  const webhookUrlOf = (keyId: string) => readWebhookUrl(t.db, deps.keks, keyId);
  const newKey = async (name: string, budget: object) =>
    (await createKey(deps, { body: { name, budget }, actor })).keyId;
  const reportThreshold = async (keyId: string, thresholdPercent = 80) => {
    const periodStart = (
      await t.db.selectFrom('keys_view').select('budget_period_start').where('id', '=', keyId).executeTakeFirstOrThrow()
    ).budget_period_start!.toISOString();
    return request(nc, Subjects.rpc.keyRegistry('record-budget-threshold'), {
      keyId,
      thresholdPercent,
      periodStart,
      spentUsd: 8.5,
      maxUsd: 10,
    });
  };
  const at = (path: string) => received.filter((r) => r.path === path);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 600));

  it("POSTs a signed threshold notification to the key's own webhook, once, however often policy reports it", async () => {
    const keyId = await newKey('signed', { maxUsd: 10, period: '1d', webhookUrl: `${base}/signed?token=k` });
    await updateKey(deps, { keyId, body: { description: 'not a budget event' }, actor });
    expect(await reportThreshold(keyId)).toEqual({ keyId, recorded: true });
    expect(await reportThreshold(keyId)).toEqual({ keyId, recorded: false });

    const [hit] = await waitFor(() => at('/signed').length > 0 && at('/signed'), { description: 'the webhook call' });
    const event = (await readStream(t.db, `key-${keyId}`)).find((e) => e.type === 'KeyBudgetThresholdReached')!;
    expect(JSON.parse(hit.body)).toEqual({
      type: 'KeyBudgetThresholdReached',
      keyId,
      keyName: 'signed',
      data: {
        keyId,
        thresholdPercent: 80,
        periodStart: expect.any(String),
        spentUsd: 8.5,
        maxUsd: 10,
        reachedAt: clock.toISOString(),
      },
      occurredAt: clock.toISOString(),
      eventId: event.eventId,
    });
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.headers['x-sluice-event-id']).toBe(event.eventId);
    const timestamp = Number(hit.headers['x-sluice-timestamp']);
    expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
    expect(hit.headers['x-sluice-signature']).toBe(
      `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${hit.body}`).digest('hex')}`,
    );
    await settle();
    expect(at('/signed')).toHaveLength(1);
    expect(at('/global')).toHaveLength(0);
  });

  it('retries a failing receiver with backoff until it answers 2xx, then stops: delivered exactly once', async () => {
    const keyId = await newKey('flaky', { maxUsd: 10, webhookUrl: `${base}/flaky` });
    await reportThreshold(keyId, 50);
    await waitFor(() => at('/flaky').some((r) => r.status === 200), { description: 'a successful delivery' });
    await settle();
    expect(at('/flaky').map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(at('/flaky').map((r) => r.headers['x-sluice-event-id'])).size).toBe(1);
  });

  it('gives up after the last attempt with an error log that does not show the URL beyond its origin', async () => {
    const keyId = await newKey('down', { maxUsd: 10, webhookUrl: `${base}/down?token=s3cret-token` });
    await reportThreshold(keyId, 100);
    await waitFor(() => logged.some((l) => l.level === 'error' && (l.fields as { keyId?: string }).keyId === keyId), {
      description: 'the give-up log',
    });
    await settle();
    expect(at('/down').map((r) => r.status)).toEqual([503, 503, 503, 503]);
    expect(JSON.stringify(logged)).not.toContain('s3cret-token');
    expect(logged.find((l) => l.level === 'error')).toMatchObject({
      fields: { webhook: base, attempt: 4 },
      msg: 'budget webhook not delivered; giving up',
    });
  });

  it('sends a budget reset of a key without a webhook of its own to the global webhook', async () => {
    const keyId = await newKey('global', { maxUsd: 10, period: '1m' });
    clock = new Date(clock.getTime() + 61_000);
    expect(await resetBudgetPeriod(deps, keyId)).toBe(true);
    const [hit] = await waitFor(() => at('/global').length > 0 && at('/global'), {
      description: 'the global webhook call',
    });
    expect(JSON.parse(hit.body)).toMatchObject({
      type: 'KeyBudgetReset',
      keyId,
      keyName: 'global',
      data: { keyId, resetAt: clock.toISOString() },
    });
  });

  it('follows no redirect: a 3xx is a failed delivery', async () => {
    const keyId = await newKey('redirected', { maxUsd: 10, webhookUrl: `${base}/redirect` });
    await reportThreshold(keyId, 100);
    await waitFor(() => logged.some((l) => l.level === 'error' && (l.fields as { keyId?: string }).keyId === keyId), {
      description: 'the give-up log',
    });
    expect(at('/redirect')).toHaveLength(4);
    expect(at('/elsewhere')).toHaveLength(0);
  });

  it('delivers what was recorded while the notifier was down once it is back (durable consumer)', async () => {
    await notifier.stop();
    const keyId = await newKey('while-down', { maxUsd: 10, webhookUrl: `${base}/later` });
    await reportThreshold(keyId, 50);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(at('/later')).toHaveLength(0);
    notifier = await startBudgetNotifier({
      nc,
      db: t.db,
      sender,
      webhookUrlOf,
      retry: { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 200 },
      logger: { info: () => {}, warn: () => {}, error: () => {} } as unknown as Logger,
    });
    await waitFor(() => at('/later').length === 1, { description: 'the delivery after restart' });
  });
});
