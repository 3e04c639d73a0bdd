import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { sql } from 'kysely';
import type { Page } from 'playwright-core';
import { launchBrowser, waitFor, type TestBrowser } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(180_000);

/**
 * The web console in Debian's headless Chromium against the running system (every service a real
 * process, real NATS and Postgres): each flow of issue #13, driven by role and label as a person
 * (or a screen reader) finds the controls. Screenshots go to SLUICE_CONSOLE_SCREENSHOTS
 * (`docs/console` refreshes the README's), else to a temporary folder.
 */
describe('the web console in a real browser', () => {
  let e2e: E2eSystem;
  let browser: TestBrowser;
  let page: Page;
  let gateway: string;
  const shots = process.env.SLUICE_CONSOLE_SCREENSHOTS
    ? resolve(__dirname, '..', process.env.SLUICE_CONSOLE_SCREENSHOTS)
    : mkdtempSync(join(tmpdir(), 'sluice-console-shots-'));
  const problems: string[] = [];
  const state = { keyId: '', secret: '', newSecret: '', auditorToken: '' };

  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const chat = (apiKey: string, model = 'gpt-test') =>
    new OpenAI({ apiKey, baseURL: gateway, maxRetries: 0 }).chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Hello from the console test' }],
    });
  const refusalOf = (call: Promise<unknown>) =>
    call.then(
      () => null,
      (err) => err,
    );
  const dialog = () => page.getByRole('dialog');
  const open = async (hash: string, heading: string | RegExp) => {
    await page.goto(`${e2e.system.adminUrl}/${hash}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  };
  const watch = (p: Page) => {
    p.setDefaultTimeout(15_000);
    p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    p.on('console', (msg) => {
      if (/Content.Security.Policy|Trusted Type/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
    });
    p.on('request', (req) => {
      for (const secret of [e2e.system.adminToken, state.auditorToken].filter(Boolean))
        if (req.url().includes(secret)) problems.push(`a token in a URL: ${req.url()}`);
      if (
        !req.url().startsWith(e2e.system.adminUrl) &&
        !req.url().startsWith('data:') &&
        !req.url().startsWith('blob:')
      )
        problems.push(`a request off the console's origin: ${req.url()}`);
    });
    return p;
  };
  const signIn = async (p: Page, token: string) => {
    await p.goto(`${e2e.system.adminUrl}/`);
    await p.getByLabel('Admin token').fill(token);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('button', { name: 'Sign out' }).waitFor();
  };
  const writeButtons = (p: Page) =>
    p.getByRole('button', { name: /^(Create|Edit|Regenerate|Disable|Enable|Delete|Add|Rotate|Remove|Revoke|Save)/ });

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    e2e = await startE2eSystem({ env: { SLUICE_UPSTREAM_ALLOW: '127.0.0.0/8' } });
    gateway = e2e.system.gatewayUrl.replace('localhost', '127.0.0.1');
    browser = await launchBrowser();
    page = watch(await browser.context.newPage());
  });

  afterAll(async () => {
    await browser?.close();
    await e2e?.stop();
  });

  it('serves the console at / with a strict CSP and signs an owner in with the keyboard alone', async () => {
    const res = await page.goto(`${e2e.system.adminUrl}/`);
    expect(res?.headers()['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
    await page.getByLabel('Admin token').waitFor();
    await shot('sign-in');
    // The token field has the focus; Enter submits.
    await page.keyboard.type('not-a-real-token');
    await page.keyboard.press('Enter');
    await page.getByText('This token is not valid').waitFor();
    await page.getByLabel('Admin token').fill('');
    await page.keyboard.type(e2e.system.adminToken);
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('role').textContent()).resolves.toBe('owner');
    // Kept for this tab only (sessionStorage), never in localStorage unless asked, never in the URL.
    // Evaluated in the page (this file has no DOM types).
    const stored = (await page.evaluate(
      '({ local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }), url: location.href })',
    )) as Record<string, string>;
    expect(stored.local).not.toContain(e2e.system.adminToken);
    expect(stored.session).toContain(e2e.system.adminToken);
    expect(stored.url).not.toContain(e2e.system.adminToken);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  });

  it('walks a new admin through provider → model → key → first call', async () => {
    await open('#/keys', 'Keys');
    const guide = page.getByRole('region', { name: /Get started/ });
    await guide.waitFor();
    await shot('keys-empty-state');
    await guide.getByRole('link', { name: 'Go to providers' }).click();
    await page.getByRole('heading', { level: 1, name: 'Providers' }).waitFor();

    await page.getByRole('button', { name: 'Add provider' }).click();
    await dialog().getByLabel('Provider name').fill('upstream');
    await dialog().getByLabel('Type').selectOption('openai-compatible');
    await dialog().getByLabel('API key').fill('sk-upstream-original-0123456789');
    await dialog().getByLabel('Base URL').fill(e2e.upstream.url);
    await dialog().getByRole('button', { name: 'Add provider' }).click();
    await page
      .getByTestId('providers')
      .getByRole('cell', { name: /^upstream prov_/ })
      .waitFor();
    expect(await page.content()).not.toContain('sk-upstream-original-0123456789');

    await page.getByRole('button', { name: 'Add model' }).click();
    await dialog().getByLabel('Model name').fill('gpt-test');
    await dialog().getByLabel('Input price (USD per million tokens)').fill('1');
    await dialog().getByLabel('Output price (USD per million tokens)').fill('2');
    await dialog().getByRole('button', { name: 'Add model' }).click();
    await page.getByTestId('models').getByRole('cell', { name: 'gpt-test', exact: true }).first().waitFor();
    await shot('providers-and-models');

    await open('#/keys', 'Keys');
    // Both first steps ticked once the page has read the catalog.
    await guide.locator('li.done').nth(1).waitFor();
    await expect(guide.locator('li.done').count()).resolves.toBe(2);
    await guide.getByRole('link', { name: 'Create a key' }).click();
    await page.getByRole('heading', { name: 'Create a key' }).waitFor();
  });

  it('creates a key with limits and a budget, refusing bad input at its field, and shows the secret once', async () => {
    await page.getByLabel('Requests per minute').fill('many');
    await page.getByLabel('IP allow-list').fill('10.0.0.300');
    await page.getByRole('button', { name: 'Create key' }).click();
    await expect(page.getByLabel('Requests per minute').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.getByLabel('IP allow-list').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
    await page.getByText('Must be an IPv4 or IPv6 address or CIDR range').waitFor();
    expect((await e2e.admin('GET', '/keys')).body.data).toEqual([]);

    await page.getByLabel('Name', { exact: true }).fill('billing-service');
    await page.getByLabel('Description').fill('The billing service');
    await page.getByLabel('Only some models').check();
    await page.getByLabel('gpt-test', { exact: true }).check();
    await page.getByLabel('Requests per minute').fill('100');
    await page.getByLabel('Tokens per minute').fill('100000');
    await page.getByLabel('Max parallel requests').fill('5');
    await page.getByLabel('Limit spend with a budget').check();
    await page.getByLabel('Budget (USD)').fill('5');
    await page.getByLabel('Budget period').selectOption('30d');
    await page.getByLabel('IP allow-list').fill('127.0.0.0/8\n::1');
    await page.getByLabel('Metadata (JSON)').fill('{"team": "billing"}');
    await shot('create-key');
    await page.getByRole('button', { name: 'Create key' }).click();

    const secretField = page.getByLabel('Secret', { exact: true });
    await secretField.waitFor();
    state.secret = await secretField.inputValue();
    expect(state.secret).toMatch(/^sk-sluice-/);
    await page.getByText('you will not see this again').waitFor();
    await expect(page.getByTestId('snippet').textContent()).resolves.toContain(`curl ${e2e.system.gatewayUrl}`);
    await page.getByRole('tab', { name: 'openai (Node.js)' }).click();
    await expect(page.getByTestId('snippet').textContent()).resolves.toContain(`apiKey: "${state.secret}"`);
    await shot('key-created-show-once');

    const [created] = (await e2e.admin('GET', '/keys')).body.data;
    state.keyId = created.id;
    expect(created).toMatchObject({
      name: 'billing-service',
      description: 'The billing service',
      models: ['gpt-test'],
      rateLimits: { requestsPerMinute: 100, tokensPerMinute: 100000, maxParallelRequests: 5 },
      budget: { maxUsd: 5, period: '30d', alertThresholds: [50, 80, 100] },
      ipAllowlist: ['127.0.0.0/8', '::1'],
      metadata: { team: 'billing' },
    });
    const stored = (await page.evaluate(
      'JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + location.href',
    )) as string;
    expect(stored).not.toContain(state.secret);
    await page.getByRole('link', { name: /I have saved it/ }).click();
    // The key's own page (its heading is the key's name; the reveal's heading says "created"), and the reveal gone.
    await page.getByRole('heading', { level: 1, name: /^billing-service active$/ }).waitFor();
    await page.locator('#new-secret').waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(state.secret);
  });

  it("shows the key's calls in its chart and request list, and its live windows and budget", async () => {
    for (let i = 0; i < 3; i++) expect((await chat(state.secret)).choices).toHaveLength(1);
    const rows = page.getByTestId('requests').locator('tbody tr');
    await waitFor(
      async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        return (
          (await rows.count()) === 3 &&
          (await page.getByTestId('usage-totals').locator('dd').first().textContent()) === '3'
        );
      },
      { timeoutMs: 15_000, intervalMs: 250, description: 'three calls in the request list and the chart' },
    );
    await expect(rows.first().locator('td').nth(1).textContent()).resolves.toBe('200');
    await expect(rows.first().locator('td').nth(2).textContent()).resolves.toBe('gpt-test');
    await expect(page.locator('.chart canvas').count()).resolves.toBe(1);
    await page.getByText('Usage as a table').click();
    await page.getByText('Usage as a table').locator('..').getByRole('cell', { name: '3', exact: true }).waitFor();
    const policy = page.getByTestId('effective-policy');
    await waitFor(
      async () => /3 used of 100/.test((await policy.locator('[data-rule="requestsPerMinute"]').textContent()) ?? ''),
      { timeoutMs: 10_000, description: 'the live RPM window' },
    );
    await expect(policy.locator('[data-rule="budget"]').textContent()).resolves.toMatch(
      /\$5\.00 per 30d.*spent \$0\.\d+ · reserved \$0\.00 · remaining \$4\.9\d+/,
    );
    await shot('key-page');
  });

  it('explains a refused call with the simulate form, naming the rule', async () => {
    expect(
      (
        await e2e.admin('POST', '/models', {
          name: 'gpt-other',
          providerId: (await e2e.admin('GET', '/providers')).body.data[0].id,
          upstreamModel: 'gpt-other',
          inputUsdPerMTok: 1,
          outputUsdPerMTok: 2,
        })
      ).status,
    ).toBe(201);
    expect(await refusalOf(chat(state.secret, 'gpt-other'))).toMatchObject({ status: 403, code: 'model_not_allowed' });

    const form = page.getByRole('region', { name: 'Would this request be allowed?' });
    await form.getByLabel('Model').fill('gpt-other');
    await form.getByRole('button', { name: 'Check' }).click();
    await expect(page.getByTestId('simulate-result').textContent()).resolves.toMatch(
      /Refused by the rule models.*403 model_not_allowed/,
    );
    await shot('key-simulate-refused');
    await form.getByLabel('Model').fill('gpt-test');
    await form.getByRole('button', { name: 'Check' }).click();
    await page.getByTestId('simulate-result').getByText('Allowed.').waitFor();
  });

  it('regenerates once however often the button is clicked; the old secret works through the grace period', async () => {
    await page.getByRole('group', { name: 'Key actions' }).getByRole('button', { name: 'Regenerate' }).click();
    await dialog().getByLabel('Grace period for the old secret').selectOption('3600');
    await dialog().getByRole('button', { name: 'Regenerate secret' }).dblclick();
    const secretField = dialog().getByLabel('Secret', { exact: true });
    await secretField.waitFor();
    state.newSecret = await secretField.inputValue();
    expect(state.newSecret).toMatch(/^sk-sluice-/);
    expect(state.newSecret).not.toBe(state.secret);
    await shot('key-regenerated');
    const { rows } = await sql<{
      n: string;
    }>`select count(*) as n from events where stream_id = ${`key-${state.keyId}`} and event_type = 'KeyRegenerated'`.execute(
      e2e.database.db,
    );
    expect(Number(rows[0].n)).toBe(1);
    expect((await chat(state.secret)).choices).toHaveLength(1);
    expect((await chat(state.newSecret)).choices).toHaveLength(1);
    await dialog().getByRole('button', { name: 'I have saved it' }).click();
    await page.getByText('Previous secret works until').waitFor();
  });

  it('disables and enables the key, and the gateway follows', async () => {
    const actions = page.getByRole('group', { name: 'Key actions' });
    await actions.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('heading', { level: 1, name: /billing-service\s*disabled/ }).waitFor();
    expect(await refusalOf(chat(state.newSecret))).toMatchObject({ status: 401, code: 'key_disabled' });
    await actions.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('heading', { level: 1, name: /billing-service\s*active/ }).waitFor();
    expect((await chat(state.newSecret)).choices).toHaveLength(1);
  });

  it('deletes the key only after its name is typed', async () => {
    await page.getByRole('group', { name: 'Key actions' }).getByRole('button', { name: 'Delete' }).click();
    const confirm = dialog().getByRole('button', { name: 'Delete key' });
    await expect(confirm.isDisabled()).resolves.toBe(true);
    await dialog().getByLabel('Type billing-service to confirm').fill('billing');
    await expect(confirm.isDisabled()).resolves.toBe(true);
    await dialog().getByLabel('Type billing-service to confirm').fill('billing-service');
    await confirm.click();
    await page.getByRole('heading', { level: 1, name: /billing-service\s*revoked/ }).waitFor();
    await expect(writeButtons(page).count()).resolves.toBe(0);
    expect(await refusalOf(chat(state.newSecret))).toMatchObject({ status: 401, code: 'invalid_api_key' });
  });

  it('rotates a provider secret: never shown back, used from the next call', async () => {
    await open('#/providers', 'Providers');
    await page.getByRole('button', { name: 'Rotate the secret of upstream' }).click();
    await dialog().getByLabel('New API key').fill('sk-upstream-rotated-ABCDEFGH99');
    await dialog().getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByTestId('providers').getByText(/GH99/).waitFor();
    expect(await page.content()).not.toContain('sk-upstream-rotated-ABCDEFGH99');
    const fresh = await e2e.admin('POST', '/keys', { name: 'after-rotation' });
    expect((await chat(fresh.body.key)).choices).toHaveLength(1);
    expect(e2e.upstream.invoice.lastAuthorization).toBe('Bearer sk-upstream-rotated-ABCDEFGH99');
  });

  it('filters the audit trail, exports it as NDJSON and CSV downloads with progress, and verifies the chain', async () => {
    await open('#/audit', 'Audit trail');
    await page.getByLabel('Event type').fill('KeyRevoked');
    const rows = page.getByTestId('audit-events').locator('tbody tr');
    await waitFor(
      async () => {
        await page.getByRole('button', { name: 'Apply filters' }).click();
        return (await rows.count()) === 1 && ((await rows.first().textContent()) ?? '').includes('KeyRevoked');
      },
      { timeoutMs: 10_000, intervalMs: 200, description: 'the sealed KeyRevoked event' },
    );
    await expect(rows.first().textContent()).resolves.toContain(`key-${state.keyId}`);

    const [ndjson] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export NDJSON' }).click(),
    ]);
    const lines = readFileSync(await ndjson.path(), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.type, l.streamId])).toEqual([['KeyRevoked', `key-${state.keyId}`]]);
    expect(ndjson.suggestedFilename()).toMatch(/^sluice-audit-.*\.ndjson$/);
    await page
      .getByTestId('export-progress')
      .getByText(/Export complete: 1 lines/)
      .waitFor();

    await page.getByLabel('Event type').fill('');
    await page.getByLabel('Key id').fill(state.keyId);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitFor(async () => (await rows.count()) === 5, { timeoutMs: 10_000, description: "the key's events" });
    expect(await rows.locator('td:nth-child(3)').allTextContents()).toEqual([
      'KeyCreated',
      'KeyRegenerated',
      'KeyDisabled',
      'KeyEnabled',
      'KeyRevoked',
    ]);
    const streams = await rows.locator('td:nth-child(4)').allTextContents();
    expect(new Set(streams)).toEqual(new Set([`key-${state.keyId}`]));
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csvLines = readFileSync(await csv.path(), 'utf8')
      .trim()
      .split('\n');
    expect(csvLines[0]).toMatch(/^seq,/);
    expect(csvLines.length - 1).toBe(streams.length);

    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await expect(page.getByTestId('verification').textContent()).resolves.toMatch(
      /The chain is intact: \d+ events checked/,
    );
    await shot('audit');
  });

  it('lets an owner create an admin token, shown once', async () => {
    await open('#/admin-tokens', 'Admin tokens');
    await page.getByRole('button', { name: 'Create admin token' }).click();
    await dialog().getByLabel('Token name').fill('alice-auditor');
    await dialog().getByLabel('Role').selectOption('auditor');
    await dialog().getByRole('button', { name: 'Create token' }).click();
    state.auditorToken = await dialog().getByLabel('Admin token').inputValue();
    expect(state.auditorToken).toMatch(/^sk-sluice-admin-/);
    await shot('admin-token-created');
    await dialog().getByRole('button', { name: 'I have saved it' }).click();
    await page.getByTestId('admin-tokens').getByRole('cell', { name: 'alice-auditor', exact: true }).waitFor();
    await shot('admin-tokens');
  });

  it('shows the overview: today, 30 days, error rate, top keys and models', async () => {
    await open('#/', 'Overview');
    await page.getByText('Requests today').waitFor();
    const topKeys = page.getByRole('table').filter({ has: page.getByRole('link', { name: 'billing-service' }) });
    await topKeys.waitFor();
    await page.getByRole('cell', { name: 'gpt-test', exact: true }).waitFor();
    await shot('overview');
  });

  it('gives an auditor everything read-only, with no write control anywhere', async () => {
    const auditor = watch(await browser.context.newPage());
    // A new tab starts signed out: the owner's token stayed with its tab.
    await auditor.goto(`${e2e.system.adminUrl}/`);
    await auditor.getByLabel('Admin token').waitFor();
    await signIn(auditor, state.auditorToken);
    await expect(auditor.getByTestId('role').textContent()).resolves.toBe('auditor');
    await auditor.getByText('read-only').waitFor();
    const live = (await e2e.admin('GET', '/keys?status=active')).body.data[0];
    for (const [hash, heading] of [
      ['#/', 'Overview'],
      ['#/keys', 'Keys'],
      [`#/keys/${live.id}`, /after-rotation/],
      ['#/providers', 'Providers'],
      ['#/audit', 'Audit trail'],
      ['#/admin-tokens', 'Admin tokens'],
    ] as const) {
      await auditor.goto(`${e2e.system.adminUrl}/${hash}`);
      await auditor.getByRole('heading', { level: 1, name: heading }).waitFor();
      await auditor.getByText('Loading…').waitFor({ state: 'detached' });
      expect([hash, await writeButtons(auditor).allTextContents()]).toEqual([hash, []]);
      expect([hash, await auditor.getByRole('link', { name: 'Create key' }).count()]).toEqual([hash, 0]);
    }
    await auditor.goto(`${e2e.system.adminUrl}/#/keys/${live.id}`);
    await auditor.getByRole('heading', { level: 1, name: /after-rotation/ }).waitFor();
    // An auditor may dry-run a call: it changes nothing.
    await auditor.getByLabel('Model', { exact: true }).fill('gpt-test');
    await auditor.getByRole('button', { name: 'Check' }).click();
    await auditor.getByTestId('simulate-result').getByText('Allowed.').waitFor();
    page = auditor;
    await shot('auditor-key-page');
    await auditor.goto(`${e2e.system.adminUrl}/#/keys/new`);
    await auditor.getByText('Your role cannot create keys.').waitFor();
    await auditor.close();
  });

  it('shows an operator no admin-token page', async () => {
    const created = await e2e.admin('POST', '/admin-tokens', { name: 'olga-operator', role: 'operator' });
    const operator = watch(await browser.context.newPage());
    await signIn(operator, created.body.token);
    await expect(operator.getByTestId('role').textContent()).resolves.toBe('operator');
    await expect(
      operator.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents(),
    ).resolves.toEqual(['Overview', 'Keys', 'Providers and models', 'Audit']);
    await operator.goto(`${e2e.system.adminUrl}/#/admin-tokens`);
    await operator.getByRole('heading', { name: 'Not found' }).waitFor();
    await operator.close();
  });

  it('fits a phone screen', async () => {
    const phone = watch(await browser.context.newPage());
    await phone.setViewportSize({ width: 390, height: 844 });
    await signIn(phone, e2e.system.adminToken);
    await phone.goto(`${e2e.system.adminUrl}/#/keys`);
    await phone.getByRole('heading', { level: 1, name: 'Keys' }).waitFor();
    await phone.getByRole('link', { name: 'after-rotation' }).waitFor();
    const overflow = (await phone.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    page = phone;
    await shot('keys-phone');
    await phone.close();
  });

  it('raised no script error and no Content-Security-Policy violation, and sent no token in a URL', () => {
    expect(problems).toEqual([]);
  });
});
