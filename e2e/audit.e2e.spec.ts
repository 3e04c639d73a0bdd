import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { run, type Io } from '@sluice/cli';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type AdminReply, type E2eSystem } from './support/e2e-system';

jest.setTimeout(120_000);

describe('the audit trail: events, export and hash-chain verification, end to end (real NATS, Postgres, service processes)', () => {
  let e2e: E2eSystem;
  let workDir: string;
  let auditor: string;
  let operator: string;
  let keyId: string;

  const as = async (
    token: string,
    path: string,
  ): Promise<AdminReply & { text: string; contentType: string | null }> => {
    const res = await fetch(`${e2e.system.adminUrl}/admin/v1${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('application/json') ? JSON.parse(text) : null;
    return { status: res.status, body: json, text, contentType: res.headers.get('content-type') };
  };
  const cli = async (...argv: string[]) => cliWith({}, ...argv);
  const cliWith = async (env: NodeJS.ProcessEnv, ...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = {
      out: (...l) => out.push(...l),
      err: (...l) => err.push(...l),
      env,
      cwd: workDir,
      projectDir: workDir,
    };
    return { code: await run(argv, io), out: out.join('\n'), err: err.join('\n') };
  };

  beforeAll(async () => {
    e2e = await startE2eSystem();
    workDir = mkdtempSync(join(tmpdir(), 'sluice-audit-'));
    for (const role of ['auditor', 'operator'] as const) {
      const created = await e2e.admin('POST', '/admin-tokens', { name: `${role}-token`, role });
      expect(created.status).toBe(201);
      if (role === 'auditor') auditor = created.body.token;
      else operator = created.body.token;
    }
    const key = await e2e.admin('POST', '/keys', { name: 'audited-key' });
    expect(key.status).toBe(201);
    keyId = key.body.id;
    expect((await e2e.admin('PATCH', `/keys/${keyId}`, { description: 'changed' })).status).toBe(200);
    expect((await e2e.admin('DELETE', `/keys/${keyId}`)).status).toBe(200);
  });

  afterAll(async () => {
    await e2e?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it("lets an auditor page through one key's history, each event with its chain hash", async () => {
    const page1 = await waitFor(async () => {
      const r = await as(auditor, `/audit/events?keyId=${keyId}&limit=2`);
      return r.status === 200 && r.body.data.length === 2 && r.body.nextCursor !== null && r;
    });
    expect(page1.body.data.map((e: any) => [e.streamId, e.version])).toEqual([
      [`key-${keyId}`, 1],
      [`key-${keyId}`, 2],
    ]);
    expect(page1.body.data[0]).toMatchObject({
      type: 'KeyCreated',
      metadata: expect.objectContaining({ actor: expect.any(String) }),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const page2 = await waitFor(async () => {
      const r = await as(auditor, `/audit/events?keyId=${keyId}&limit=2&cursor=${page1.body.nextCursor}`);
      return r.status === 200 && r.body.data.length === 1 && r;
    });
    expect(page2.body).toMatchObject({ data: [{ streamId: `key-${keyId}`, version: 3 }], nextCursor: null });

    const byType = await as(
      auditor,
      `/audit/events?type=KeyCreated&actor=${encodeURIComponent(page1.body.data[0].metadata.actor)}`,
    );
    expect(byType.body.data.map((e: any) => e.type)).toEqual(expect.arrayContaining(['KeyCreated']));
    expect(new Set(byType.body.data.map((e: any) => e.type))).toEqual(new Set(['KeyCreated']));
    const future = await as(
      auditor,
      `/audit/events?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
    );
    expect(future.body).toEqual({ data: [], nextCursor: null });
    expect((await as(auditor, '/audit/events?from=yesterday')).status).toBe(400);
  });

  it("records where an admin change came from: the caller's socket address, not a forwarded header", async () => {
    const url = `${e2e.system.adminUrl.replace('localhost', '127.0.0.1')}/admin/v1/keys`;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${e2e.system.adminToken}`,
        'content-type': 'application/json',
        'x-forwarded-for': '203.0.113.7',
      },
      body: JSON.stringify({ name: 'from-where' }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const created = await waitFor(async () => {
      const r = await as(auditor, `/audit/events?keyId=${id}`);
      return r.status === 200 && r.body.data.length === 1 && r.body.data[0];
    });
    expect(created).toMatchObject({
      type: 'KeyCreated',
      metadata: { actor: 'env-owner', clientIp: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/) },
    });
  });

  it('exports as NDJSON and CSV, and the NDJSON export verifies offline; an edited line is named', async () => {
    const ndjson = await as(auditor, '/audit/export?format=ndjson');
    expect(ndjson.status).toBe(200);
    expect(ndjson.contentType).toContain('application/x-ndjson');
    const rows = ndjson.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => String(i + 1)));
    expect(rows[0]).toMatchObject({ prevHash: '0'.repeat(64), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    writeFileSync(join(workDir, 'export.ndjson'), ndjson.text);
    const ok = await cli('audit', 'verify', '--file', 'export.ndjson');
    expect(ok).toMatchObject({
      code: 0,
      out: expect.stringContaining(`export intact: ${rows.length} events checked in 1 contiguous run(s)`),
    });

    const tampered = rows.map((r, i) => (i === 2 ? { ...r, metadata: { ...r.metadata, actor: 'someone-else' } } : r));
    writeFileSync(join(workDir, 'tampered.ndjson'), tampered.map((r) => JSON.stringify(r)).join('\n'));
    const bad = await cli('audit', 'verify', '--file', 'tampered.ndjson');
    expect(bad).toMatchObject({
      code: 1,
      err: expect.stringContaining(`chain broken at global position ${rows[2].position} (seq 3): event_modified`),
    });

    const csv = await as(auditor, `/audit/export?format=csv&keyId=${keyId}`);
    expect(csv.contentType).toContain('text/csv');
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe(
      'seq,position,eventId,type,streamId,version,schemaVersion,recordedAt,data,metadata,prevHash,hash',
    );
    expect(lines).toHaveLength(4);
  });

  it('verifies the chain for auditors (not operators) and names the event row someone edited in Postgres', async () => {
    expect((await as(operator, '/audit/verify')).status).toBe(403);
    const clean = await as(auditor, '/audit/verify');
    expect(clean.body).toMatchObject({
      ok: true,
      firstBreak: null,
      head: { hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(clean.body.checked).toBeGreaterThanOrEqual(5);

    const { rows } = await sql<{
      global_position: string;
    }>`select global_position from events where stream_id = ${`key-${keyId}`} and stream_version = 2`.execute(
      e2e.database.db,
    );
    const edited = rows[0].global_position;
    await e2e.database.db.connection().execute(async (conn) => {
      await sql`set session_replication_role = replica`.execute(conn);
      await sql`update events set data = data || '{"description":"rewritten"}' where global_position = ${edited}`.execute(
        conn,
      );
      await sql`set session_replication_role = origin`.execute(conn);
    });

    const broken = await as(auditor, '/audit/verify');
    expect(broken.body).toMatchObject({ ok: false, firstBreak: { position: edited, reason: 'event_modified' } });
    const viaCli = await cliWith(
      { SLUICE_ADMIN_TOKEN: auditor },
      'audit',
      'verify',
      '--admin-url',
      e2e.system.adminUrl,
    );
    expect(viaCli).toMatchObject({
      code: 1,
      err: expect.stringContaining(`chain broken at global position ${edited}`),
    });
  });
});
