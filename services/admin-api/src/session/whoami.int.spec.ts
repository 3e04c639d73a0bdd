import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { adminTokenHint, generateAdminToken, hashAdminToken } from '@sluice/contracts';
import { startTestNats, type TestNats, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { AdminModule } from '../app.module';

const OWNER = 'owner-token-for-the-whoami-int-test';

/** The admin API in-process on real Postgres and NATS: who the console is signed in as. */
describe('GET /admin/v1/whoami (real Postgres and NATS)', () => {
  let t: TestDatabase;
  let nats: TestNats;
  let app: NestFastifyApplication;
  const tokens: Record<string, string> = {};

  const whoami = async (token: string) => {
    const res = await app
      .getHttpAdapter()
      .getInstance()
      .inject({ method: 'GET', url: '/admin/v1/whoami', headers: { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, body: JSON.parse(res.body) };
  };

  beforeAll(async () => {
    [t, nats] = await Promise.all([createTestDatabase(), startTestNats()]);
    Object.assign(process.env, { DATABASE_URL: t.url, NATS_URL: nats.url, SLUICE_ADMIN_TOKEN: OWNER });
    app = await NestFactory.create<NestFastifyApplication>(AdminModule, new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    for (const [id, role, revoked] of [
      ['adm_aud', 'auditor', false],
      ['adm_op', 'operator', false],
      ['adm_old', 'owner', true],
    ] as const) {
      tokens[id] = generateAdminToken();
      await t.db
        .insertInto('admin_tokens_view')
        .values({
          id,
          name: `${role}-token`,
          role,
          token_hash: hashAdminToken(tokens[id]),
          token_hint: adminTokenHint(tokens[id]),
          created_at: new Date(),
          revoked_at: revoked ? new Date() : null,
        })
        .execute();
    }
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([t?.drop(), nats?.stop()]);
  });

  it('names the bootstrap owner', async () => {
    expect(await whoami(OWNER)).toEqual({
      status: 200,
      body: { actor: 'env-owner', role: 'owner', tokenId: null, name: null },
    });
  });

  it("names an admin token's role and name, never the token", async () => {
    const auditor = await whoami(tokens.adm_aud);
    expect(auditor).toEqual({
      status: 200,
      body: { actor: 'admin-token:adm_aud', role: 'auditor', tokenId: 'adm_aud', name: 'auditor-token' },
    });
    expect(JSON.stringify(auditor.body)).not.toContain(tokens.adm_aud);
    expect((await whoami(tokens.adm_op)).body).toMatchObject({ role: 'operator', tokenId: 'adm_op' });
  });

  it('tells the console where clients reach the gateway', async () => {
    const get = async (host: string) =>
      JSON.parse(
        (
          await app
            .getHttpAdapter()
            .getInstance()
            .inject({
              method: 'GET',
              url: '/admin/v1/gateway',
              headers: { authorization: `Bearer ${tokens.adm_aud}`, host },
            })
        ).body,
      );
    process.env.SLUICE_GATEWAY_PORT = '18080';
    expect(await get('console.example.com:8081')).toEqual({ baseUrl: 'http://console.example.com:18080/v1' });
    expect(await get('127.0.0.1:8081')).toEqual({ baseUrl: 'http://127.0.0.1:18080/v1' });
    process.env.SLUICE_PUBLIC_GATEWAY_URL = 'https://llm.example.com/v1/';
    expect(await get('127.0.0.1:8081')).toEqual({ baseUrl: 'https://llm.example.com/v1' });
    delete process.env.SLUICE_PUBLIC_GATEWAY_URL;
  });

  it('refuses a revoked or unknown token with 401, as every admin call does', async () => {
    expect(await whoami(tokens.adm_old)).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    expect(await whoami('not-a-token')).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
  });
});
