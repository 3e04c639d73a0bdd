import { sql } from 'kysely';
import { ACCESS_DENIED_STREAM, ErrorCodes, hashAdminToken, isWellFormedAdminToken } from '@sluice/contracts';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { readStream } from '@sluice/event-store';
import type { Deps } from '../shared/deps';
import { createAdminToken } from './create-admin-token/create-admin-token.handler';
import { flushCoalescedDenials, recordAccessDenied } from './record-access-denied/record-access-denied.handler';
import { revokeAdminToken } from './revoke-admin-token/revoke-admin-token.handler';
import { testDeps } from '../../test/deps';

const owner = { actor: 'env-owner', requestId: 'req-1' };

describe('admin tokens and denied-call auditing in key-registry (real Postgres)', () => {
  let t: TestDatabase;
  let deps: Deps;
  let clock: Date;

  beforeAll(async () => {
    t = await createTestDatabase();
    clock = new Date('2026-11-24T12:00:00.000Z');
    deps = testDeps(t.db, () => clock);
  });
  afterAll(() => t.drop());

  it('creates a token shown once, kept as a hash in the view the guard reads, with the creator as actor', async () => {
    const { tokenId, token } = await createAdminToken(deps, { body: { name: 'ci', role: 'operator' }, actor: owner });
    expect(tokenId).toMatch(/^adm_/);
    expect(isWellFormedAdminToken(token)).toBe(true);
    const row = await t.db
      .selectFrom('admin_tokens_view')
      .selectAll()
      .where('token_hash', '=', hashAdminToken(token))
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ id: tokenId, name: 'ci', role: 'operator', revoked_at: null });
    const [event] = await readStream(t.db, `admin-token-${tokenId}`);
    expect(event.metadata).toMatchObject({ actor: 'env-owner', requestId: 'req-1' });
    const { rows } = await sql<{
      dump: string;
    }>`select (select string_agg(data::text || metadata::text, '') from events) || (select string_agg(a::text, '') from admin_tokens_view a) as dump`.execute(
      t.db,
    );
    expect(rows[0].dump).not.toContain(token);
  });

  it('refuses a second live token with the same name, and frees the name on revoke', async () => {
    const { tokenId } = await createAdminToken(deps, { body: { name: 'deploy', role: 'auditor' }, actor: owner });
    await expect(
      createAdminToken(deps, { body: { name: 'deploy', role: 'owner' }, actor: owner }),
    ).rejects.toMatchObject({ code: ErrorCodes.adminTokenNameTaken });
    await revokeAdminToken(deps, { tokenId, actor: owner });
    const row = await t.db
      .selectFrom('admin_tokens_view')
      .select('revoked_at')
      .where('id', '=', tokenId)
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).toEqual(clock);
    await expect(revokeAdminToken(deps, { tokenId, actor: owner })).rejects.toMatchObject({
      code: ErrorCodes.adminTokenAlreadyRevoked,
    });
    await expect(
      createAdminToken(deps, { body: { name: 'deploy', role: 'owner' }, actor: owner }),
    ).resolves.toBeDefined();
  });

  it('refuses an unknown role instead of ignoring it', async () => {
    await expect(createAdminToken(deps, { body: { name: 'x', role: 'root' }, actor: owner })).rejects.toMatchObject({
      code: ErrorCodes.validation,
      details: { param: 'role' },
    });
  });

  it('records a denial in the audit stream and coalesces a flood of the same actor and reason', async () => {
    const attempt = {
      actor: 'anonymous',
      method: 'POST',
      path: '/admin/v1/keys',
      reason: 'invalid_token',
      clientIp: '203.0.113.9',
    };
    const results = [];
    for (let i = 0; i < 200; i++)
      results.push(await recordAccessDenied(deps, { attempt, actor: { actor: 'anonymous', requestId: `r-${i}` } }));
    expect(results.filter((r) => r.recorded)).toHaveLength(1);
    expect(await readStream(t.db, ACCESS_DENIED_STREAM)).toHaveLength(1);

    clock = new Date(clock.getTime() + 1000);
    expect(await flushCoalescedDenials(deps)).toBe(1);
    const events = await readStream(t.db, ACCESS_DENIED_STREAM);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['AdminAccessDenied', { ...attempt, at: '2026-11-24T12:00:00.000Z' }],
      ['AdminAccessDenied', { ...attempt, at: '2026-11-24T12:00:00.000Z', coalesced: 199 }],
    ]);
    expect(events[0].metadata).toMatchObject({ actor: 'anonymous', requestId: 'r-0' });
  });

  it('refuses a report that does not fit the audit record', async () => {
    const attempt = { actor: 'anonymous', method: 'GET', path: '/x', reason: 'because', clientIp: '::1' };
    await expect(recordAccessDenied(deps, { attempt, actor: { actor: 'anonymous' } })).rejects.toMatchObject({
      code: ErrorCodes.validation,
    });
  });
});
