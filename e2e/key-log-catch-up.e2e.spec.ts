import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import OpenAI from 'openai';
import { generateVirtualKey, hashVirtualKey, Streams, type PublishedEvent } from '@sluice/contracts';
import { appendToStream, loadCheckpoint, OUTBOX_CHECKPOINT } from '@sluice/event-store';
import { connectNats, type NatsConnection } from '@sluice/messaging';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(120_000);

/** How often policy compares what it applied with the log in Postgres, in this test (the default is 1 s). */
const LOG_CHECK_MS = 500;

/**
 * Postgres is the record, JetStream the transport: an acknowledged event JetStream later loses
 * (nats-server 2.9 fsyncs every 60 s) is never published again, so policy must find it in the log.
 */
describe('policy follows the log in Postgres, not only JetStream (the running system)', () => {
  let e2e: E2eSystem;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  beforeAll(async () => {
    e2e = await startE2eSystem({ env: { SLUICE_POLICY_LOG_CHECK_MS: String(LOG_CHECK_MS) } });
    await e2e.addCatalog('upstream', ['gpt-test']);
    nc = await connectNats(e2e.nats.url, 'key-log-test');
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await e2e?.stop();
  });

  const chat = (apiKey: string) =>
    new OpenAI({
      apiKey,
      baseURL: e2e.system.gatewayUrl.replace('localhost', '127.0.0.1'),
      maxRetries: 0,
    }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
  const newKey = async (): Promise<{ id: string; key: string }> => {
    const created = await e2e.admin('POST', '/keys', { name: `key-${randomUUID()}` });
    expect(created.status).toBe(201);
    await expect(chat(created.body.key)).resolves.toBeTruthy();
    return created.body;
  };
  /** Where JetStream holds the relay's message for this event, if it does. */
  const storedAt = async (type: string, keyId: string): Promise<number | null> => {
    const { state } = await jsm.streams.info(Streams.events.name);
    for (let seq = state.last_seq; seq >= state.first_seq && state.messages > 0; seq--) {
      const msg = await jsm.streams.getMessage(Streams.events.name, { seq }).catch(() => null);
      const event = msg?.json<PublishedEvent>();
      if (event?.type === type && (event.data as { keyId?: string }).keyId === keyId) return seq;
    }
    return null;
  };

  it('refuses a key whose revocation JetStream lost while policy was down, once policy starts again', async () => {
    const { id, key } = await newKey();
    const policy = e2e.system.services.get('policy')!;
    await policy.stop();
    expect(await e2e.admin('DELETE', `/keys/${id}?wait=0`)).toMatchObject({ status: 202, body: { status: 'revoked' } });
    // The relay published it and JetStream acknowledged it; then JetStream loses it.
    const seq = await waitFor(() => storedAt('KeyRevoked', id), { description: 'the relay to publish KeyRevoked' });
    await jsm.streams.deleteMessage(Streams.events.name, seq);
    expect(await storedAt('KeyRevoked', id)).toBeNull();

    await policy.restart();
    await expect(chat(key)).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
  });

  it('refuses a key whose revocation JetStream lost while policy runs, within the log check interval', async () => {
    const { id, key } = await newKey();
    // The relay publishes with msgID = eventId, and JetStream keeps the first message of an id: a
    // decoy with the revocation's id makes JetStream drop the real one, acknowledged and never stored.
    const eventId = randomUUID();
    await jetstream(nc).publish('sluice.evt.test.Decoy', JSON.stringify({ decoy: true }), { msgID: eventId });
    const now = new Date().toISOString();
    const { positions } = await appendToStream(e2e.database.db, {
      streamId: `key-${id}`,
      streamType: 'key',
      expectedVersion: 1,
      events: [
        {
          eventId,
          type: 'KeyRevoked',
          schemaVersion: 1,
          data: { keyId: id, revokedAt: now },
          metadata: { actor: 'test', occurredAt: now },
        },
      ],
    });
    const t0 = Date.now();
    await waitFor(
      async () =>
        BigInt((await loadCheckpoint(e2e.database.db, OUTBOX_CHECKPOINT))?.globalPosition ?? 0) >= BigInt(positions[0]),
      { description: 'the relay to pass the revocation' },
    );
    expect(await storedAt('KeyRevoked', id)).toBeNull();

    const refused = await waitFor(
      () =>
        chat(key).then(
          () => null,
          (err) => err,
        ),
      { timeoutMs: 10_000, intervalMs: 50, description: 'the key to be refused' },
    );
    expect(refused).toMatchObject({ status: 401, code: 'invalid_api_key' });
    // The documented bound: one check interval, plus the time of the check itself.
    expect(Date.now() - t0).toBeLessThan(LOG_CHECK_MS + 1500);
  });

  it('applies a lost event as soon as a later event of the same key arrives (a version it has not seen)', async () => {
    // Checking the log rarely leaves the version gap as the only way to notice.
    await e2e.system.services.get('policy')!.restart({ SLUICE_POLICY_LOG_CHECK_MS: '600000' });
    const { id, key } = await newKey();
    const eventId = randomUUID();
    await jetstream(nc).publish('sluice.evt.test.Decoy', JSON.stringify({ decoy: true }), { msgID: eventId });
    const now = new Date().toISOString();
    // (Appended as the record holds it; the admin read model is key-registry's and is not touched here.)
    await appendToStream(e2e.database.db, {
      streamId: `key-${id}`,
      streamType: 'key',
      expectedVersion: 1,
      events: [
        {
          eventId,
          type: 'KeyDisabled',
          schemaVersion: 1,
          data: { keyId: id, disabledAt: now },
          metadata: { actor: 'test', occurredAt: now },
        },
      ],
    });
    // The next change of the key is version 3: policy has seen 1, so it reads 2 from the log first.
    expect(await e2e.admin('PATCH', `/keys/${id}`, { description: 'after a lost event' })).toMatchObject({
      status: 200,
    });
    await expect(chat(key)).rejects.toMatchObject({ status: 401, code: 'key_disabled' });
  });

  describe('a message on the bus is only a signal: policy applies the log, never the message', () => {
    /** An event as the relay would publish it, but written by someone else straight onto `sluice.evt.>`. */
    const forge = async (
      type: string,
      streamId: string,
      streamVersion: number,
      data: Record<string, unknown>,
    ): Promise<void> => {
      const now = new Date().toISOString();
      const event: PublishedEvent = {
        eventId: randomUUID(),
        type,
        schemaVersion: 2,
        streamId,
        streamType: 'key',
        streamVersion,
        globalPosition: '0',
        data,
        metadata: { actor: 'nobody', occurredAt: now },
        recordedAt: now,
      };
      await jetstream(nc).publish(`sluice.evt.keys.${type}`, JSON.stringify(event), { msgID: event.eventId });
    };
    const warned = (streamId: string, what: string) =>
      waitFor(
        () => e2e.output.some((line) => line.startsWith('policy') && line.includes(what) && line.includes(streamId)),
        { description: `policy to log "${what}" for ${streamId}` },
      );

    it('refuses a key nobody created although a KeyCreated for it appeared on the bus', async () => {
      const secret = generateVirtualKey();
      const keyId = `key_forged_${randomUUID().replaceAll('-', '')}`;
      await forge('KeyCreated', `key-${keyId}`, 1, {
        keyId,
        keyHash: hashVirtualKey(secret),
        keyHint: 'sk-sluice-forg…',
        createdAt: new Date().toISOString(),
        name: 'forged',
        description: null,
        models: null,
        operations: null,
        ipAllowlist: null,
        providerIds: null,
        expiresAt: null,
        metadata: {},
        rateLimits: null,
        budget: null,
      });
      // A real key created after it: policy handles the bus in order, so the forged message came first.
      await newKey();
      await expect(chat(secret)).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
      await warned(`key-${keyId}`, 'has no row in the log');
    });

    it('revokes a key although an update at the version its revocation takes appeared on the bus first', async () => {
      const { id, key } = await newKey();
      await forge('KeyUpdated', `key-${id}`, 2, {
        keyId: id,
        before: {},
        after: {},
        updatedAt: new Date().toISOString(),
      });
      await newKey();
      expect((await e2e.admin('DELETE', `/keys/${id}`)).body).toMatchObject({ status: 'revoked' });
      await expect(chat(key)).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
      await warned(`key-${id}`, 'has no row in the log');
    });
  });
});
