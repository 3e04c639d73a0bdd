import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { generateAdminToken } from '@sluice/contracts';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type AdminReply, type E2eSystem } from './support/e2e-system';

jest.setTimeout(120_000);

const ROOT_DIR = resolve(__dirname, '..');

describe('admin access: role tokens, denied-call auditing and the apply CLI, end to end (real NATS, Postgres, service processes)', () => {
  let e2e: E2eSystem;
  let workDir: string;
  const tokens: Record<'operator' | 'auditor', { id: string; token: string }> = {} as never;

  const as = async (token: string | null, method: string, path: string, body?: unknown): Promise<AdminReply> => {
    const res = await fetch(`${e2e.system.adminUrl}/admin/v1${path}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const events = async (type: string) => {
    const { rows } = await sql<{
      data: any;
      metadata: any;
    }>`select data, metadata from events where event_type = ${type} order by global_position`.execute(e2e.database.db);
    return rows;
  };
  const eventCount = async () =>
    Number((await sql<{ n: string }>`select count(*) as n from events`.execute(e2e.database.db)).rows[0].n);
  const denials = async (where: (d: any) => boolean) =>
    (await events('AdminAccessDenied')).map((e) => e.data).filter(where);

  beforeAll(async () => {
    e2e = await startE2eSystem();
    workDir = mkdtempSync(join(tmpdir(), 'sluice-apply-'));
    for (const role of ['operator', 'auditor'] as const) {
      const created = await e2e.admin('POST', '/admin-tokens', { name: `${role}-token`, role });
      expect(created.status).toBe(201);
      tokens[role] = { id: created.body.id, token: created.body.token };
    }
  });

  afterAll(async () => {
    await e2e?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('shows a new admin token once and lists tokens by hint only', async () => {
    expect(tokens.operator.token).toMatch(/^sk-sluice-admin-[0-9A-Za-z]{49}$/);
    const list = await as(tokens.auditor.token, 'GET', '/admin-tokens');
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: tokens.operator.id,
          name: 'operator-token',
          role: 'operator',
          tokenHint: expect.stringMatching(/^sk-sluice-admin-.{4}…/),
          revokedAt: null,
        }),
      ]),
    );
    expect(JSON.stringify(list.body)).not.toContain(tokens.operator.token);
  });

  it('lets an operator create keys, recorded under its identity, but not admin tokens: 403, no change appended, the denial audited', async () => {
    const key = await as(tokens.operator.token, 'POST', '/keys', { name: 'made-by-operator' });
    expect(key.status).toBe(201);
    const [created] = (await events('KeyCreated')).filter((e) => e.data.keyId === key.body.id);
    expect(created.metadata.actor).toBe(`admin-token:${tokens.operator.id}`);

    const before = await eventCount();
    const denied = await as(tokens.operator.token, 'POST', '/admin-tokens', { name: 'sneaky', role: 'owner' });
    expect(denied).toEqual({
      status: 403,
      body: { error: { code: 'FORBIDDEN', message: 'the operator role may not POST /admin/v1/admin-tokens' } },
    });
    expect(await events('AdminTokenCreated')).toHaveLength(2);
    expect(await eventCount()).toBe(before + 1);
    expect(await denials((d) => d.actor === `admin-token:${tokens.operator.id}`)).toEqual([
      {
        actor: `admin-token:${tokens.operator.id}`,
        method: 'POST',
        path: '/admin/v1/admin-tokens',
        reason: 'role_not_allowed',
        clientIp: expect.any(String),
        at: expect.any(String),
      },
    ]);
  });

  it('refuses a field the role may not set instead of applying the rest: an operator cannot move a provider base URL', async () => {
    const provider = await e2e.admin('POST', '/providers', { name: 'built-in', type: 'mock' });
    expect(provider.status).toBe(201);
    const denied = await as(tokens.operator.token, 'PATCH', `/providers/${provider.body.id}`, {
      name: 'renamed',
      baseUrl: 'https://attacker.example/v1',
    });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: 'FORBIDDEN', param: 'baseUrl' });
    expect((await e2e.admin('GET', `/providers/${provider.body.id}`)).body).toMatchObject({
      name: 'built-in',
      baseUrl: null,
    });
    expect(await denials((d) => d.reason === 'field_not_allowed')).toHaveLength(1);
    expect(
      (await as(tokens.operator.token, 'PATCH', `/providers/${provider.body.id}`, { name: 'renamed' })).status,
    ).toBe(200);
  });

  it('lets an auditor read everything and write nothing', async () => {
    for (const path of ['/keys', '/providers', '/models', '/admin-tokens'])
      expect([path, (await as(tokens.auditor.token, 'GET', path)).status]).toEqual([path, 200]);
    const before = await eventCount();
    const writes = [
      await as(tokens.auditor.token, 'POST', '/keys', { name: 'by-auditor' }),
      await as(tokens.auditor.token, 'DELETE', `/admin-tokens/${tokens.operator.id}`),
      await as(tokens.auditor.token, 'POST', '/vault/rewrap'),
    ];
    expect(writes.map((w) => [w.status, w.body.error.code])).toEqual([
      [403, 'FORBIDDEN'],
      [403, 'FORBIDDEN'],
      [403, 'FORBIDDEN'],
    ]);
    // The first denial of the second is recorded at once; the rest are coalesced into a summary a second later.
    expect(await eventCount()).toBe(before + 1);
    const summary = await waitFor(
      async () => (await denials((d) => d.actor === `admin-token:${tokens.auditor.id}` && d.coalesced))[0],
      { timeoutMs: 3000, intervalMs: 50 },
    );
    expect(summary).toMatchObject({ reason: 'role_not_allowed', coalesced: 2, path: '/admin/v1/vault/rewrap' });
  });

  it('refuses a revoked admin token with 401 on its very next call, and says who it was', async () => {
    const created = await e2e.admin('POST', '/admin-tokens', { name: 'short-lived', role: 'operator' });
    expect((await as(created.body.token, 'GET', '/keys')).status).toBe(200);
    const revoked = await e2e.admin('DELETE', `/admin-tokens/${created.body.id}`);
    expect(revoked.body).toMatchObject({ id: created.body.id, revokedAt: expect.any(String) });
    expect(await as(created.body.token, 'GET', '/keys')).toEqual({
      status: 401,
      body: { error: { code: 'UNAUTHORIZED', message: 'the admin token is revoked' } },
    });
    expect(await denials((d) => d.actor === `admin-token:${created.body.id}`)).toEqual([
      expect.objectContaining({ reason: 'revoked_token', method: 'GET', path: '/admin/v1/keys' }),
    ]);
    expect((await e2e.admin('DELETE', `/admin-tokens/${created.body.id}`)).body.error.code).toBe(
      'ADMIN_TOKEN.ALREADY_REVOKED',
    );
  });

  it('audits a wrong token without the token text appearing anywhere in the log, and coalesces a flood', async () => {
    const wrong = generateAdminToken();
    const garbage = 'not-a-token-0123456789-garbage-text';
    const replies = await Promise.all([
      as(wrong, 'GET', '/keys'),
      as(garbage, 'DELETE', `/keys/key_x?token=${garbage}`),
      ...Array.from({ length: 28 }, () => as(null, 'GET', '/providers')),
    ]);
    expect(replies.map((r) => r.status)).toEqual(Array(30).fill(401));
    const missing = await waitFor(
      async () => {
        const found = await denials((d) => d.reason === 'missing_token');
        return found.reduce((n, d) => n + (d.coalesced ?? 1), 0) === 28 ? found : null;
      },
      { timeoutMs: 3000, intervalMs: 50, description: '28 missing-token denials recorded in at most two events' },
    );
    expect(missing).toHaveLength(2);
    const invalid = await denials((d) => d.reason === 'invalid_token');
    expect(invalid[0]).toMatchObject({ actor: 'anonymous', clientIp: expect.stringMatching(/127\.0\.0\.1|::1/) });
    const { rows } = await sql<{
      dump: string;
    }>`select string_agg(data::text || metadata::text, '') as dump from events`.execute(e2e.database.db);
    for (const secret of [wrong, garbage, tokens.operator.token, tokens.auditor.token, e2e.system.adminToken])
      expect(rows[0].dump).not.toContain(secret);
  });

  it('applies a keys file through the admin API with an operator token: create, then unchanged, then an update in place', async () => {
    const file = join(workDir, 'keys.yaml');
    const secretsFile = join(workDir, 'secrets.json');
    const sluice = async (...args: string[]) => {
      const env = {
        ...process.env,
        SLUICE_ADMIN_URL: e2e.system.adminUrl,
        SLUICE_ADMIN_TOKEN: tokens.operator.token,
        INIT_CWD: workDir,
      };
      try {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [join(ROOT_DIR, 'scripts', 'sluice.mjs'), ...args],
          { cwd: ROOT_DIR, env },
        );
        return { code: 0, stdout };
      } catch (err) {
        const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string };
        return { code, stdout: stdout + stderr };
      }
    };
    const keysYaml = (models: string) =>
      [
        'keys:',
        '  - name: billing-service',
        '    description: Billing backend',
        `    models: ${models}`,
        '    operations: [chat]',
        '    metadata: {team: billing}',
        '  - name: search',
        '    ipAllowlist: [10.0.0.0/8]',
        '',
      ].join('\n');

    writeFileSync(file, keysYaml('["gpt-4o*"]'));
    const first = await sluice('apply', '-f', 'keys.yaml', '--secrets-out', 'secrets.json');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('+ key billing-service: create');
    expect(first.stdout).toContain('Plan: 2 to create, 0 to update, 0 to revoke, 0 unchanged.');
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    const secrets = JSON.parse(readFileSync(secretsFile, 'utf8'));
    expect(secrets['billing-service'].key).toMatch(/^sk-sluice-/);
    expect(first.stdout).not.toContain(secrets['billing-service'].key);
    const billingId = secrets['billing-service'].id;

    const second = await sluice('apply', '-f', 'keys.yaml');
    expect(second).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Plan: 0 to create, 0 to update, 0 to revoke, 2 unchanged.'),
    });
    expect(second.stdout).toContain('= key billing-service: unchanged');

    writeFileSync(file, keysYaml('["gpt-4o*", "gpt-4.1*"]'));
    const dryRun = await sluice('apply', '-f', 'keys.yaml', '--dry-run');
    expect(dryRun.stdout).toContain('models: ["gpt-4o*"] → ["gpt-4o*","gpt-4.1*"]');
    expect((await e2e.admin('GET', `/keys/${billingId}`)).body.models).toEqual(['gpt-4o*']);

    const third = await sluice('apply', '-f', 'keys.yaml');
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('~ key billing-service: update\n      models: ["gpt-4o*"] → ["gpt-4o*","gpt-4.1*"]');
    const key = (await e2e.admin('GET', `/keys/${billingId}`)).body;
    expect(key).toMatchObject({
      id: billingId,
      status: 'active',
      models: ['gpt-4o*', 'gpt-4.1*'],
      metadata: { team: 'billing', managedBy: 'sluice-apply' },
    });
    const [updated] = (await events('KeyUpdated')).filter((e) => e.data.keyId === billingId);
    expect(updated).toMatchObject({
      data: { before: { models: ['gpt-4o*'] }, after: { models: ['gpt-4o*', 'gpt-4.1*'] } },
      metadata: { actor: `admin-token:${tokens.operator.id}` },
    });

    writeFileSync(file, 'keys:\n  - name: search\n    ipAllowlist: [10.0.0.0/8]\n');
    const pruned = await sluice('apply', '-f', 'keys.yaml', '--prune');
    expect(pruned.stdout).toContain('- key billing-service: revoke');
    expect((await e2e.admin('GET', `/keys/${billingId}`)).body.status).toBe('revoked');

    writeFileSync(file, 'keys:\n  - name: bad\n    operations: [chat, teleport]\n');
    const invalid = await sluice('apply', '-f', 'keys.yaml');
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toMatch(/keys\.yaml:3:\d+: keys\[0\]\.operations\[1\]: /);
  });
});
