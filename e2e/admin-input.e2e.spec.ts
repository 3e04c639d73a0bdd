import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(120_000);

/** What a new user tries from the README: input that can never work is refused when it is written, naming the field. */
describe('admin input that can never work is refused at write time (the running system)', () => {
  let e2e: E2eSystem;
  let providerId: string;
  beforeAll(async () => {
    e2e = await startE2eSystem();
    providerId = await e2e.addCatalog('upstream', ['gpt-test']);
  });
  afterAll(() => e2e?.stop());

  it("refuses a provider key with characters no HTTP header can carry (the README's `sk-…` placeholder), at creation and rotation", async () => {
    const created = await e2e.admin('POST', '/providers', { name: 'openai-prod', type: 'openai', apiKey: 'sk-…' });
    expect(created).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', param: 'apiKey' } } });
    expect(created.body.error.message).toContain('HTTP header');
    expect(await e2e.admin('POST', `/providers/${providerId}/rotate`, { apiKey: 'sk-new…' })).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', param: 'apiKey' } },
    });
    expect((await e2e.admin('GET', '/providers')).body.data.map((p: { name: string }) => p.name)).toEqual(['upstream']);
  });

  it('refuses a key bound to a provider that does not exist, at creation and on PATCH', async () => {
    const refused = {
      status: 400,
      body: {
        error: {
          code: 'VALIDATION_FAILED',
          param: 'providerIds.1',
          message: expect.stringContaining('prov_does_not_exist'),
        },
      },
    };
    expect(
      await e2e.admin('POST', '/keys', { name: 'bound', providerIds: [providerId, 'prov_does_not_exist'] }),
    ).toMatchObject(refused);
    const key = await e2e.admin('POST', '/keys', { name: 'bound', providerIds: [providerId] });
    expect(key.status).toBe(201);
    expect(
      await e2e.admin('PATCH', `/keys/${key.body.id}`, { providerIds: [providerId, 'prov_does_not_exist'] }),
    ).toMatchObject(refused);
    expect((await e2e.admin('GET', `/keys/${key.body.id}`)).body.providerIds).toEqual([providerId]);
    expect(await e2e.admin('PATCH', `/keys/${key.body.id}`, { providerIds: [] })).toMatchObject({
      status: 200,
      body: { providerIds: [] },
    });
  });

  it('names an unknown field in `param`, as docs/admin-api.md says', async () => {
    expect(await e2e.admin('POST', '/keys', { name: 'x', rollover: true })).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', param: 'rollover' } },
    });
    expect(await e2e.admin('POST', '/keys', { name: 'x', budget: { maxUsd: 1, rollover: true } })).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', param: 'budget.rollover' } },
    });
  });
});
