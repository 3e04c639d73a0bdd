import { randomBytes } from 'node:crypto';
import { ErrorCodes } from '@sluice/contracts';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { readStream } from '@sluice/event-store';
import { UpstreamAllowList } from '@sluice/net-policy';
import { addModel } from '../models/add-model/add-model.handler';
import { removeModel } from '../models/remove-model/remove-model.handler';
import { randomId, type Deps } from '../shared/deps';
import { addProvider } from './add-provider/add-provider.handler';
import { listCredentials } from './credentials/credentials.handler';
import { removeProvider } from './remove-provider/remove-provider.handler';
import { updateProvider } from './update-provider/update-provider.handler';
import { parseKeks } from './vault/envelope';

const actor = { actor: 'admin:test', requestId: 'req-providers' };
const dns: Record<string, string> = { 'llm.example.com': '93.184.216.34', 'rebind.example.com': '169.254.169.254' };

describe('provider lifecycle (real Postgres)', () => {
  let t: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    t = await createTestDatabase();
    deps = {
      db: t.db,
      keks: parseKeks(randomBytes(32).toString('base64'), undefined),
      upstream: {
        allow: UpstreamAllowList.parse('127.0.0.0/8'),
        resolve: async (host) => (dns[host] ? [{ address: dns[host] }] : Promise.reject(new Error('ENOTFOUND'))),
      },
      now: () => new Date(),
      newId: randomId,
    };
  });
  afterAll(() => t.drop());

  const add = (name: string, baseUrl = 'https://llm.example.com/v1') =>
    addProvider(deps, {
      body: { name, type: 'openai-compatible', apiKey: `sk-${randomBytes(8).toString('hex')}`, baseUrl },
      actor,
    });
  const model = (name: string, providerId: string) =>
    addModel(deps, { body: { name, providerId, upstreamModel: 'up', inputUsdPerMTok: 1, outputUsdPerMTok: 1 }, actor });
  const view = (id: string) => t.db.selectFrom('providers_view').selectAll().where('id', '=', id).executeTakeFirst();

  it('refuses base URLs that reach private, link-local or unresolvable targets, at creation and on change', async () => {
    await expect(add('metadata', 'http://169.254.169.254/latest')).rejects.toMatchObject({
      code: ErrorCodes.providerUrlNotAllowed,
      details: { param: 'baseUrl' },
    });
    await expect(add('rebind', 'https://rebind.example.com/v1')).rejects.toMatchObject({
      message: expect.stringContaining('resolves to 169.254.169.254, a link-local address'),
    });
    await expect(add('nowhere', 'https://nowhere.example.com/v1')).rejects.toMatchObject({
      code: ErrorCodes.providerUrlNotAllowed,
    });
    await expect(add('creds', 'https://user:pw@llm.example.com/v1')).rejects.toMatchObject({
      code: ErrorCodes.providerUrlNotAllowed,
    });
    const { providerId } = await add('local', 'http://127.0.0.1:11434/v1');
    await expect(
      updateProvider(deps, { providerId, body: { baseUrl: 'http://10.0.0.8/v1' }, actor }),
    ).rejects.toMatchObject({ code: ErrorCodes.providerUrlNotAllowed });
    expect(await view(providerId)).toMatchObject({ base_url: 'http://127.0.0.1:11434/v1' });
    expect(
      await t.db
        .selectFrom('events')
        .select('stream_id')
        .where('stream_id', 'like', 'provider-%')
        .where('event_type', '=', 'ProviderAdded')
        .execute(),
    ).toHaveLength(1);
  });

  it('changes name and base URL, records before and after, and serves the new URL to the gateway', async () => {
    const { providerId } = await add('renamed');
    await updateProvider(deps, {
      providerId,
      body: { name: 'renamed-eu', baseUrl: 'http://127.0.0.2:8000/v1/' },
      actor,
    });
    expect(await view(providerId)).toMatchObject({ name: 'renamed-eu', base_url: 'http://127.0.0.2:8000/v1' });
    const [, updated] = await readStream(t.db, `provider-${providerId}`);
    expect(updated).toMatchObject({
      type: 'ProviderUpdated',
      data: {
        before: { name: 'renamed', baseUrl: 'https://llm.example.com/v1' },
        after: { name: 'renamed-eu', baseUrl: 'http://127.0.0.2:8000/v1' },
      },
    });
    expect(await listCredentials(deps, { providerIds: [providerId] })).toEqual([
      expect.objectContaining({ baseUrl: 'http://127.0.0.2:8000/v1' }),
    ]);
    await add('taken');
    await expect(updateProvider(deps, { providerId, body: { name: 'taken' }, actor })).rejects.toMatchObject({
      code: ErrorCodes.providerNameTaken,
    });
  });

  it('refuses to remove a provider a model routes to; once the model is gone, removes it and destroys its secrets', async () => {
    const { providerId } = await add('in-use');
    await model('routed-here', providerId);
    await expect(removeProvider(deps, { providerId, actor })).rejects.toMatchObject({
      code: ErrorCodes.providerInUse,
      message: expect.stringContaining('routed-here'),
    });
    await removeModel(deps, { name: 'routed-here', actor });
    await removeProvider(deps, { providerId, actor });
    expect(await view(providerId)).toMatchObject({ removed_at: expect.any(Date) });
    expect(
      await t.db.selectFrom('provider_secrets').select('version').where('provider_id', '=', providerId).execute(),
    ).toEqual([]);
    expect(await listCredentials(deps, { providerIds: [providerId] })).toEqual([]);
    await expect(removeProvider(deps, { providerId, actor })).rejects.toMatchObject({
      code: ErrorCodes.providerNotFound,
    });
    await expect(model('too-late', providerId)).rejects.toMatchObject({ code: ErrorCodes.providerNotFound });
    await expect(add('in-use')).resolves.toBeDefined();
  });

  it('never leaves a model routing to a removed provider when both race', async () => {
    for (let i = 0; i < 10; i++) {
      const { providerId } = await add(`race-${i}`);
      const [added, removed] = await Promise.allSettled([
        model(`race-model-${i}`, providerId),
        removeProvider(deps, { providerId, actor }),
      ]);
      expect([added.status, removed.status]).not.toEqual(['fulfilled', 'fulfilled']);
      expect([added.status, removed.status]).toContain('fulfilled');
    }
  });
});
