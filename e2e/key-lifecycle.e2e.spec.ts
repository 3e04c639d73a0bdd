import OpenAI from 'openai';
import { sql } from 'kysely';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(120_000);

const hello = [{ role: 'user' as const, content: 'Hello' }];

describe('the key lifecycle, end to end (admin HTTP API, openai SDK, real NATS, Postgres and service processes)', () => {
  let e2e: E2eSystem;
  let gateway: string;
  const secrets: string[] = [];

  const createKey = async (body: Record<string, unknown>): Promise<{ id: string; key: string; name: string }> => {
    const created = await e2e.admin('POST', '/keys', { name: `key-${Math.random().toString(36).slice(2)}`, ...body });
    expect(created.status).toBe(201);
    secrets.push(created.body.key);
    // The admin API answers once policy enforces the new key: its very first call is served.
    await works(created.body.key);
    return created.body;
  };
  const chat = (apiKey: string, model = 'gpt-test') =>
    new OpenAI({ apiKey, baseURL: gateway, maxRetries: 0 }).chat.completions.create({ model, messages: hello });
  const refusalOf = (call: Promise<unknown>) =>
    call.then(
      () => null,
      (err) => err,
    );
  /** Served: asserted on the call itself, never polled (the admin API answers once policy enforces a change). */
  const works = async (apiKey: string, model = 'gpt-test') =>
    expect((await chat(apiKey, model)).choices).toHaveLength(1);

  beforeAll(async () => {
    e2e = await startE2eSystem({ env: { SLUICE_UPSTREAM_ALLOW: '127.0.0.0/8' } });
    gateway = e2e.system.gatewayUrl.replace('localhost', '127.0.0.1');
    await e2e.addCatalog('upstream', ['gpt-test', 'claude-test']);
  });

  afterAll(async () => {
    await e2e?.stop();
  });

  it('PATCH narrows the models, and the next call to a model no longer allowed is refused', async () => {
    const { id, key } = await createKey({ models: ['gpt-*', 'claude-*'], metadata: { team: 'a' } });
    await works(key, 'claude-test');
    const patched = await e2e.admin('PATCH', `/keys/${id}`, { models: ['gpt-*'], description: 'gpt only' });
    expect(patched).toMatchObject({
      status: 200,
      body: { id, models: ['gpt-*'], description: 'gpt only', metadata: { team: 'a' }, status: 'active' },
    });
    expect(await refusalOf(chat(key, 'claude-test'))).toMatchObject({ status: 403, code: 'model_not_allowed' });
    await works(key, 'gpt-test');

    const { rows } = await sql<{
      data: any;
    }>`select data from events where stream_id = ${`key-${id}`} and event_type = 'KeyUpdated'`.execute(e2e.database.db);
    expect(rows.map((r) => r.data)).toEqual([
      {
        keyId: id,
        before: { models: ['gpt-*', 'claude-*'], description: null },
        after: { models: ['gpt-*'], description: 'gpt only' },
        updatedAt: expect.any(String),
      },
    ]);
  });

  it('refuses a PATCH it cannot apply, in the admin error shape', async () => {
    const { id, name } = await createKey({});
    const other = await createKey({});
    expect(await e2e.admin('PATCH', `/keys/${id}`, { budget: { maxUsd: -1 } })).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED' } },
    });
    expect(await e2e.admin('PATCH', `/keys/${id}`, { expiresAt: '2020-01-01T00:00:00Z' })).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', param: 'expiresAt' } },
    });
    expect(await e2e.admin('PATCH', `/keys/${id}`, { name: other.name })).toMatchObject({
      status: 409,
      body: { error: { code: 'KEY.NAME_TAKEN' } },
    });
    expect(await e2e.admin('PATCH', '/keys/key_missing', { name: 'x' })).toMatchObject({
      status: 404,
      body: { error: { code: 'KEY.NOT_FOUND' } },
    });
    expect((await e2e.admin('GET', `/keys/${id}`)).body.name).toBe(name);
  });

  it('regenerates with a grace period: both secrets work, then the old one stops by itself', async () => {
    const { id, key: oldKey } = await createKey({ models: ['gpt-*'] });
    const headers = { 'idempotency-key': `rotate-${id}` };
    const regenerated = await e2e.admin('POST', `/keys/${id}/regenerate`, { gracePeriodSeconds: 2 }, headers);
    expect(regenerated).toMatchObject({
      status: 200,
      body: { id, models: ['gpt-*'], status: 'active', previousKeyExpiresAt: expect.any(String) },
    });
    const newKey: string = regenerated.body.key;
    secrets.push(newKey);
    expect(newKey).not.toBe(oldKey);
    expect(regenerated.body.keyHint).toBe(`${newKey.slice(0, 14)}…${newKey.slice(-4)}`);

    // A retry with the same Idempotency-Key answers the same secret; another body under it is refused.
    const retried = await fetch(`${e2e.system.adminUrl}/admin/v1/keys/${id}/regenerate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${e2e.system.adminToken}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ gracePeriodSeconds: 2 }),
    });
    expect([retried.status, retried.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    expect(((await retried.json()) as { key: string }).key).toBe(newKey);
    expect(await e2e.admin('POST', `/keys/${id}/regenerate`, { gracePeriodSeconds: 5 }, headers)).toMatchObject({
      status: 409,
      body: { error: { code: 'IDEMPOTENCY.KEY_REUSED' } },
    });

    await works(newKey);
    await works(oldKey);
    const graceEnds = Date.parse(regenerated.body.previousKeyExpiresAt);
    await new Promise((r) => setTimeout(r, Math.max(0, graceEnds - Date.now())));
    // The end of the grace period is a matter of time, not of an event: allow the clock a moment.
    const refusal = await waitFor(() => refusalOf(chat(oldKey)), {
      timeoutMs: 1000,
      intervalMs: 2,
      description: 'the old secret to stop',
    });
    expect(refusal).toMatchObject({ status: 401, code: 'invalid_api_key' });
    await works(newKey);
    expect((await e2e.admin('GET', `/keys/${id}`)).body.previousKeyExpiresAt).toBeNull();
  });

  it('regenerates without a grace period: the old secret is refused on the next call', async () => {
    const { id, key: oldKey } = await createKey({});
    await works(oldKey);
    const regenerated = await e2e.admin('POST', `/keys/${id}/regenerate`);
    expect(regenerated).toMatchObject({ status: 200, body: { id, previousKeyExpiresAt: null } });
    secrets.push(regenerated.body.key);
    expect(await refusalOf(chat(oldKey))).toMatchObject({ status: 401, code: 'invalid_api_key' });
    await works(regenerated.body.key);
  });

  it('disables a key (401 key_disabled) and enables it again', async () => {
    const { id, key } = await createKey({});
    await works(key);
    const disabled = await e2e.admin('POST', `/keys/${id}/disable`);
    expect(disabled).toMatchObject({ status: 200, body: { id, status: 'disabled' } });
    expect(await refusalOf(chat(key))).toMatchObject({ status: 401, code: 'key_disabled' });
    expect(await e2e.admin('POST', `/keys/${id}/disable`)).toMatchObject({
      status: 409,
      body: { error: { code: 'KEY.ALREADY_DISABLED' } },
    });
    expect((await e2e.admin('GET', '/keys?status=disabled')).body.data.map((k: { id: string }) => k.id)).toContain(id);

    const enabled = await e2e.admin('POST', `/keys/${id}/enable`);
    expect(enabled).toMatchObject({ status: 200, body: { id, status: 'active' } });
    await works(key);
    expect(await e2e.admin('POST', `/keys/${id}/enable`)).toMatchObject({
      status: 409,
      body: { error: { code: 'KEY.NOT_DISABLED' } },
    });
  });

  it('deletes a key for good: refused, its history kept, its name free for a new key', async () => {
    const { id, key, name } = await createKey({});
    await e2e.admin('PATCH', `/keys/${id}`, { description: 'soon gone' });
    const revoked = await e2e.admin('DELETE', `/keys/${id}`);
    expect(revoked).toMatchObject({ status: 200, body: { id, status: 'revoked', revokedAt: expect.any(String) } });
    expect(await refusalOf(chat(key))).toMatchObject({ status: 401, code: 'invalid_api_key' });
    for (const [method, path] of [
      ['POST', `/keys/${id}/enable`],
      ['POST', `/keys/${id}/disable`],
      ['POST', `/keys/${id}/regenerate`],
      ['PATCH', `/keys/${id}`],
    ]) {
      const body = method === 'PATCH' ? { name: 'again' } : undefined;
      expect([path, await e2e.admin(method, path, body)]).toMatchObject([
        path,
        { status: 409, body: { error: { code: 'KEY.NOT_ACTIVE' } } },
      ]);
    }
    expect(await e2e.admin('DELETE', `/keys/${id}`)).toMatchObject({
      status: 409,
      body: { error: { code: 'KEY.ALREADY_REVOKED' } },
    });
    expect((await e2e.admin('GET', `/keys/${id}`)).body).toMatchObject({ status: 'revoked', description: 'soon gone' });
    const { rows } = await sql<{
      event_type: string;
    }>`select event_type from events where stream_id = ${`key-${id}`} order by stream_version`.execute(e2e.database.db);
    expect(rows.map((r) => r.event_type)).toEqual(['KeyCreated', 'KeyUpdated', 'KeyRevoked']);

    const reused = await createKey({ name });
    expect(reused.id).not.toBe(id);
    await works(reused.key);
  });

  it('reads an expired key as `expired`, refuses it, and a PATCH of expiresAt renews it', async () => {
    const { id, key } = await createKey({ expiresAt: new Date(Date.now() + 1500).toISOString() });
    await works(key);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await e2e.admin('GET', `/keys/${id}`)).body.status).toBe('expired');
    expect((await e2e.admin('GET', '/keys?status=expired')).body.data.map((k: { id: string }) => k.id)).toContain(id);
    expect(await refusalOf(chat(key))).toMatchObject({ status: 401, code: 'key_expired' });

    const renewed = await e2e.admin('PATCH', `/keys/${id}`, {
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(renewed).toMatchObject({ status: 200, body: { status: 'active' } });
    await works(key);
  });

  it('documents the lifecycle endpoints in the OpenAPI document', async () => {
    const { paths } = (await e2e.admin('GET', '/openapi.json')).body;
    expect(Object.keys(paths['/admin/v1/keys/{id}'])).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
    expect(paths['/admin/v1/keys/{id}'].patch.requestBody.content['application/json'].schema.properties).toHaveProperty(
      'models',
    );
    expect(paths['/admin/v1/keys/{id}/regenerate'].post.parameters).toEqual([
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }),
      expect.objectContaining({ name: 'wait', in: 'query' }),
    ]);
    for (const action of ['disable', 'enable']) expect(paths[`/admin/v1/keys/{id}/${action}`]).toHaveProperty('post');
  });

  it('never writes a virtual key secret into logs, events, read models or the idempotency table', async () => {
    expect(secrets.length).toBeGreaterThan(8);
    const logs = e2e.output.join('\n');
    const { rows } = await sql<{ dump: string }>`select
      (select string_agg(data::text || metadata::text, '') from events) ||
      (select string_agg(k::text, '') from keys_view k) ||
      (select string_agg(r::text || encode(ciphertext, 'escape'), '') from idempotency_records r) as dump`.execute(
      e2e.database.db,
    );
    for (const secret of secrets) {
      expect(logs).not.toContain(secret);
      expect(rows[0].dump).not.toContain(secret);
    }
  });
});
