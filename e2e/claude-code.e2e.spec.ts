import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { formatNanoUsd, usdOfNanos } from '@sluice/contracts';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(240_000);

const ANTHROPIC_SECRET = 'sk-ant-api03-e2e-claude-code-0123456789';
const HAIKU = { inputUsdPerMTok: 1, cachedInputUsdPerMTok: 0.1, cacheWriteUsdPerMTok: 1.25, outputUsdPerMTok: 5 };
const haikuNanos = (t: { input: number; read: number; write: number; output: number }) =>
  (t.input - t.read - t.write) * 1000 + t.read * 100 + t.write * 1250 + t.output * 5000;

/** Claude Code's native binary, from its platform package: it runs whether or not the package's install script ran. */
function claudeBinary(): string {
  const libc =
    process.platform === 'linux' &&
    !(process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header
      ?.glibcVersionRuntime
      ? '-musl'
      : '';
  const pkg = `@anthropic-ai/claude-code-${process.platform}-${process.arch}${libc}`;
  return join(dirname(require.resolve(`${pkg}/package.json`)), process.platform === 'win32' ? 'claude.exe' : 'claude');
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: { result?: string; is_error?: boolean; session_id?: string; usage?: Record<string, number> } | null;
}

describe('the real Claude Code CLI through Sluice (headless, offline; real NATS, Postgres, five service processes, the mock Anthropic upstream)', () => {
  let e2e: E2eSystem;
  let base: string;
  let home: string;
  let work: string;
  const from = new Date(Date.now() - 3600_000).toISOString();

  /**
   * `claude --bare -p` with nothing but what it needs: a fresh HOME, the gateway as its base URL, the
   * virtual key, non-essential traffic off (no telemetry, no update check: only the Messages call).
   */
  const claude = (auth: Record<string, string>, extraEnv: Record<string, string> = {}, baseUrl = base): Promise<Run> =>
    new Promise((resolve, reject) => {
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        TERM: 'dumb',
        ANTHROPIC_BASE_URL: baseUrl,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_AUTOUPDATER: '1',
        DISABLE_TELEMETRY: '1',
        DISABLE_ERROR_REPORTING: '1',
        NO_PROXY: '127.0.0.1,localhost',
        ...auth,
        ...extraEnv,
      };
      const args = [
        '--bare',
        '-p',
        'say hi',
        '--model',
        'claude-haiku-4-5-20251001',
        '--tools',
        '',
        '--output-format',
        'json',
        '--no-session-persistence',
      ];
      const child = spawn(claudeBinary(), args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => {
        let json: Run['json'] = null;
        try {
          json = JSON.parse(stdout);
        } catch {
          // a crash or plain text: the assertions show stdout
        }
        resolve({ code, stdout, stderr, json });
      });
    });

  const createKey = async (body: Record<string, unknown>) => {
    const created = await e2e.admin('POST', '/keys', {
      name: `claude-code-${Math.random().toString(36).slice(2)}`,
      ...body,
    });
    expect(created.status).toBe(201);
    return created.body as { id: string; key: string };
  };
  const recordsOf = (keyId: string, count: number) =>
    waitFor(
      async () => {
        const { body } = await e2e.admin('GET', `/requests?${new URLSearchParams({ keyId, from })}`);
        return body?.data?.length === count ? body.data : null;
      },
      { timeoutMs: 20_000, description: `${count} calls recorded` },
    );

  beforeAll(async () => {
    e2e = await startE2eSystem({ upstream: { anthropicApiKey: ANTHROPIC_SECRET } });
    base = e2e.system.gatewayUrl.replace('localhost', '127.0.0.1').replace(/\/v1$/, '');
    home = mkdtempSync(join(tmpdir(), 'sluice-claude-home-'));
    work = join(home, 'work');
    mkdirSync(work);
    const provider = await e2e.admin('POST', '/providers', {
      name: 'anthropic',
      type: 'anthropic',
      apiKey: ANTHROPIC_SECRET,
      baseUrl: e2e.upstream.url,
    });
    expect(provider.status).toBe(201);
    expect(
      (
        await e2e.admin('POST', '/models', {
          name: 'claude-haiku-4-5*',
          providerId: provider.body.id,
          upstreamModel: 'claude-haiku-4-5*',
          maxOutputTokens: 64_000,
          ...HAIKU,
        })
      ).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await e2e?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('answers a prompt with the key in x-api-key, then in Authorization (its cached prompt read back): each call on the key with the invoice’s tokens, cache tokens included, and its cost', async () => {
    const key = await createKey({ models: ['claude-haiku-4-5*'], operations: ['messages'], budget: { maxUsd: 5 } });
    const first = await claude({ ANTHROPIC_API_KEY: key.key, CLAUDE_CODE_MAX_RETRIES: '0' });
    expect({ code: first.code, error: first.json?.is_error }).toEqual({ code: 0, error: false });
    expect(first.json?.result).toContain('Mock reply to "say hi"');
    const second = await claude({ ANTHROPIC_AUTH_TOKEN: key.key, CLAUDE_CODE_MAX_RETRIES: '0' });
    expect({ code: second.code, error: second.json?.is_error, out: second.stdout.slice(0, 300) }).toMatchObject({
      code: 0,
      error: false,
    });

    const records = [...(await recordsOf(key.id, 2))].reverse();
    let nanos = 0;
    for (const [run, record] of [first, second].map((r, i) => [r, records[i]] as const)) {
      const billed = e2e.upstream.invoice.byRequest.get(record.requestId)!;
      expect(billed.headers).toMatchObject({
        'x-api-key': ANTHROPIC_SECRET,
        'anthropic-version': '2023-06-01',
        'anthropic-beta': expect.stringContaining('claude-code-20250219'),
      });
      expect(billed.headers.authorization).toBeUndefined();
      expect(record).toMatchObject({
        operation: 'messages',
        model: 'claude-haiku-4-5-20251001',
        stream: true,
        status: 200,
        inputTokens: billed.promptTokens,
        cachedInputTokens: billed.cacheReadTokens,
        cacheWriteInputTokens: billed.cacheWriteTokens,
        outputTokens: billed.completionTokens,
        estimated: false,
        sessionId: run.json?.session_id,
      });
      // What Claude Code itself was told it used: the upstream's own usage, passed through.
      expect(run.json?.usage).toMatchObject({
        cache_creation_input_tokens: billed.cacheWriteTokens,
        cache_read_input_tokens: billed.cacheReadTokens,
        output_tokens: billed.completionTokens,
      });
      const cost = haikuNanos({
        input: billed.promptTokens,
        read: billed.cacheReadTokens!,
        write: billed.cacheWriteTokens!,
        output: billed.completionTokens,
      });
      expect(formatNanoUsd(Math.round(record.costUsd * 1e9))).toBe(formatNanoUsd(cost));
      nanos += cost;
    }
    expect(records[0].cacheWriteInputTokens).toBeGreaterThan(0);
    expect(records[1].cachedInputTokens).toBe(records[0].cacheWriteInputTokens);

    const usage = (await e2e.admin('GET', `/keys/${key.id}/usage?${new URLSearchParams({ from })}`)).body;
    const invoice = records.map((r: { requestId: string }) => e2e.upstream.invoice.byRequest.get(r.requestId)!);
    expect(usage.totals).toMatchObject({
      requests: 2,
      inputTokens: invoice.reduce((s, b) => s + b.promptTokens, 0),
      cachedInputTokens: invoice.reduce((s, b) => s + b.cacheReadTokens!, 0),
      cacheWriteInputTokens: invoice.reduce((s, b) => s + b.cacheWriteTokens!, 0),
      outputTokens: invoice.reduce((s, b) => s + b.completionTokens, 0),
      spendUsd: usdOfNanos(nanos),
    });
    // Cost per Claude Code session.
    const sessions = (await e2e.admin('GET', `/usage?${new URLSearchParams({ from, groupBy: 'session' })}`)).body
      .groups;
    expect(sessions.find((g: { id: string }) => g.id === first.json?.session_id)?.totals.requests).toBe(1);
  });

  /**
   * Claude Code through a proxy that counts what reaches the gateway; its own retries are left on (no
   * CLAUDE_CODE_MAX_RETRIES).
   */
  async function countedRun(apiKey: string): Promise<Run & { requests: number }> {
    let requests = 0;
    const proxy: Server = createServer((req, res) => {
      requests++;
      const upstream = request(`${base}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const run = await claude(
        { ANTHROPIC_API_KEY: apiKey },
        {},
        `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      );
      return { ...run, requests };
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  }

  it('stops at once when the key’s budget runs out: one request, a 429 the developer reads', async () => {
    const key = await createKey({ budget: { maxUsd: 0.01 } });
    const run = await countedRun(key.key);
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ is_error: true });
    expect(run.stdout).toContain('429');
    expect(run.stdout).toContain("This virtual key's budget of $0.01 does not cover this call");
    expect(run.requests).toBe(1);
  });

  it('stops at once on a disabled key: one request, the reason on stdout', async () => {
    const key = await createKey({});
    expect((await e2e.admin('POST', `/keys/${key.id}/disable`)).status).toBe(200);
    const run = await countedRun(key.key);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('401');
    expect(run.stdout).toContain('This virtual key is disabled');
    expect(run.requests).toBe(1);
  });
});
