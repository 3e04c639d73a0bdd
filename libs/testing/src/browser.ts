import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

export interface TestBrowser {
  /** A fresh profile: no cookies, storage or cache from any earlier run. */
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Debian's chromium (installed by `npm test` and `.ci/run`; `SLUICE_CHROMIUM` points elsewhere),
 * headless, with a profile of its own, talking to nothing but the pages a test opens.
 */
export async function launchBrowser(opts: { viewport?: { width: number; height: number } } = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'sluice-chromium-'));
  // Loaded here, not at import: most tests that import @sluice/testing never open a browser.
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: opts.viewport ?? { width: 1280, height: 900 },
    acceptDownloads: true,
    timezoneId: 'UTC',
    locale: 'en-US',
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
