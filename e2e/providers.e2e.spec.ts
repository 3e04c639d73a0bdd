import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { sql } from 'kysely';
import { startMockUpstream } from '@sluice/mock-llm';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(180_000);

const hello = [{ role: 'user' as const, content: 'Hello' }];
const FIRST_SECRET = 'sk-upstream-first-secret-0000000001';

describe('the provider vault, end to end (real NATS, Postgres, five service processes, openai SDK)', () => {
  let e2e: E2eSystem;
  let providerId: string;
  const keys: { id: string; key: string }[] = [];
  const secrets = [FIRST_SECRET];

  const gateway = () => e2e.system.gatewayUrl.replace('localhost', '127.0.0.1');
  const chat = (key: string) =>
    new OpenAI({ apiKey: key, baseURL: gateway(), maxRetries: 0 }).chat.completions.create({
      model: 'gpt-vault',
      messages: hello,
    });
  const lastAuthorization = () => e2e.upstream.invoice.lastAuthorization;

  beforeAll(async () => {
    e2e = await startE2eSystem();
    const provider = await e2e.admin('POST', '/providers', {
      name: 'local-upstream',
      type: 'openai-compatible',
      apiKey: FIRST_SECRET,
      baseUrl: e2e.upstream.url,
    });
    expect(provider.status).toBe(201);
    providerId = provider.body.id;
    const model = await e2e.admin('POST', '/models', {
      name: 'gpt-vault',
      providerId,
      upstreamModel: 'upstream-gpt',
      inputUsdPerMTok: 1,
      outputUsdPerMTok: 2,
    });
    expect(model.status).toBe(201);
    // Several virtual keys share one provider credential: they route through the same model.
    for (const name of ['vault-app-1', 'vault-app-2']) {
      const created = await e2e.admin('POST', '/keys', { name });
      expect(created.status).toBe(201);
      keys.push({ id: created.body.id, key: created.body.key });
    }
    // The admin API answers once policy enforces a new key: its very first call is served.
    for (const { key } of keys) expect((await chat(key)).choices).toHaveLength(1);
  });
  afterAll(() => e2e?.stop());

  it('rotates the provider secret: the next call carries the new key, and the virtual keys keep working unchanged', async () => {
    await chat(keys[0].key);
    expect(lastAuthorization()).toBe(`Bearer ${FIRST_SECRET}`);
    const keysBefore = await Promise.all(keys.map(({ id }) => e2e.admin('GET', `/keys/${id}`)));

    const second = `sk-upstream-second-secret-${randomBytes(8).toString('hex')}`;
    secrets.push(second);
    const rotated = await e2e.admin('POST', `/providers/${providerId}/rotate`, { apiKey: second });
    expect(rotated).toMatchObject({ status: 200, body: { id: providerId, apiKeyHint: `sk-…${second.slice(-4)}` } });
    expect(JSON.stringify(rotated.body)).not.toContain(second);

    // The admin API answers once policy routes with the new secret version: the very next call,
    // through either virtual key, carries the new secret.
    for (const { key } of keys) {
      await chat(key);
      expect(lastAuthorization()).toBe(`Bearer ${second}`);
    }

    const keysAfter = await Promise.all(keys.map(({ id }) => e2e.admin('GET', `/keys/${id}`)));
    for (const [i, after] of keysAfter.entries()) {
      expect({ ...after.body, usage: null, lastUsedAt: null }).toEqual({
        ...keysBefore[i].body,
        usage: null,
        lastUsedAt: null,
      });
    }
    const { rows } = await sql<{
      n: string;
    }>`select count(*) as n from events where stream_id like 'key-%' and event_type <> 'KeyCreated'`.execute(
      e2e.database.db,
    );
    expect(Number(rows[0].n)).toBe(0);
  });

  it('refuses provider base URLs that reach the metadata service or other private targets', async () => {
    for (const baseUrl of [
      'http://169.254.169.254/',
      'http://[::ffff:169.254.169.254]/v1',
      'http://10.0.0.8:8000/v1',
      'http://user:pw@127.0.0.1/v1',
    ]) {
      const refused = await e2e.admin('POST', '/providers', {
        name: 'sneaky',
        type: 'openai-compatible',
        apiKey: 'sk-x-123456789',
        baseUrl,
      });
      expect(refused).toMatchObject({
        status: 400,
        body: { error: { code: 'PROVIDER.URL_NOT_ALLOWED', param: 'baseUrl' } },
      });
    }
    const patched = await e2e.admin('PATCH', `/providers/${providerId}`, { baseUrl: 'http://169.254.169.254/latest' });
    expect(patched).toMatchObject({
      status: 400,
      body: { error: { code: 'PROVIDER.URL_NOT_ALLOWED', message: expect.stringContaining('link-local') } },
    });
    expect((await e2e.admin('GET', '/providers')).body.data.map((p: { name: string }) => p.name)).not.toContain(
      'sneaky',
    );
  });

  it('renames a provider, and refuses to remove it while a model routes to it', async () => {
    const renamed = await e2e.admin('PATCH', `/providers/${providerId}`, { name: 'local-upstream-renamed' });
    expect(renamed).toMatchObject({
      status: 200,
      body: { id: providerId, name: 'local-upstream-renamed', baseUrl: e2e.upstream.url },
    });
    const inUse = await e2e.admin('DELETE', `/providers/${providerId}`);
    expect(inUse).toMatchObject({
      status: 409,
      body: { error: { code: 'PROVIDER.IN_USE', message: expect.stringContaining('gpt-vault') } },
    });

    const spare = await e2e.admin('POST', '/providers', {
      name: 'spare',
      type: 'openai-compatible',
      apiKey: 'sk-spare-0123456789',
      baseUrl: e2e.upstream.url,
    });
    expect((await e2e.admin('DELETE', `/providers/${spare.body.id}`)).status).toBe(204);
    expect(await e2e.admin('GET', `/providers/${spare.body.id}`)).toMatchObject({
      status: 404,
      body: { error: { code: 'PROVIDER.NOT_FOUND' } },
    });
  });

  it('moves a provider to another base URL: the very next call goes to the new upstream', async () => {
    const other = await startMockUpstream();
    try {
      const moved = await e2e.admin('PATCH', `/providers/${providerId}`, { baseUrl: other.url });
      expect(moved).toMatchObject({ status: 200, body: { baseUrl: other.url } });
      const servedBefore = e2e.upstream.invoice.calls;
      expect((await chat(keys[0].key)).choices).toHaveLength(1);
      expect(other.invoice.calls).toBe(1);
      expect(e2e.upstream.invoice.calls).toBe(servedBefore);
    } finally {
      expect((await e2e.admin('PATCH', `/providers/${providerId}`, { baseUrl: e2e.upstream.url })).status).toBe(200);
      await other.close();
    }
  });

  it('rotates the key-encryption key while serving: new KEK added, re-wrap, old KEK removed, no call fails', async () => {
    const keyRegistry = e2e.system.services.get('key-registry')!;
    const oldKek = keyRegistry.spec.env.SLUICE_MASTER_KEY;
    const newKek = randomBytes(32).toString('base64');
    let failures = 0;
    let served = 0;
    let serving = true;
    const traffic = (async () => {
      for (let i = 0; serving; i++)
        await chat(keys[i % 2].key).then(
          () => served++,
          () => failures++,
        );
    })();
    try {
      await keyRegistry.restart({ SLUICE_MASTER_KEYS: `1:${oldKek},2:${newKek}` });
      const rewrap = await e2e.admin('POST', '/vault/rewrap');
      // The provider's two secret versions (the removed spare's secret was destroyed with it).
      const noWebhooks = { rows: 0, rewrapped: 0, alreadyCurrent: 0, failed: [] };
      expect(rewrap).toEqual({
        status: 200,
        body: { kekVersion: 2, rows: 2, rewrapped: 2, alreadyCurrent: 0, failed: [], webhookUrls: noWebhooks },
      });
      expect(await e2e.admin('POST', '/vault/rewrap')).toEqual({
        status: 200,
        body: { kekVersion: 2, rows: 2, rewrapped: 0, alreadyCurrent: 2, failed: [], webhookUrls: noWebhooks },
      });

      await keyRegistry.restart({ SLUICE_MASTER_KEYS: `2:${newKek}` });
      const third = `sk-upstream-third-secret-${randomBytes(8).toString('hex')}`;
      secrets.push(third);
      expect((await e2e.admin('POST', `/providers/${providerId}/rotate`, { apiKey: third })).status).toBe(200);
      await chat(keys[0].key);
      expect(lastAuthorization()).toBe(`Bearer ${third}`);
    } finally {
      serving = false;
      await traffic;
    }
    expect(served).toBeGreaterThan(0);
    expect(failures).toBe(0);
    const { rows } = await sql<{
      n: string;
    }>`select count(*) as n from events where event_type = 'ProviderSecretRewrapped'`.execute(e2e.database.db);
    expect(Number(rows[0].n)).toBe(2);
  });

  it('never writes a provider secret into logs, events, read models or the vault', async () => {
    const logs = e2e.output.join('\n');
    const { rows } = await sql<{ dump: string }>`select
      (select string_agg(data::text || metadata::text, '') from events) ||
      (select string_agg(p::text, '') from providers_view p) ||
      (select string_agg(encode(ciphertext, 'escape') || encode(wrapped_key, 'escape'), '') from provider_secrets) as dump`.execute(
      e2e.database.db,
    );
    for (const secret of secrets) {
      expect(logs).not.toContain(secret);
      expect(rows[0].dump).not.toContain(secret);
    }
  });
});
