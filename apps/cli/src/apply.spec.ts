import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdminClient } from './admin-client';
import { apply } from './apply';
import type { Io } from './io';

/** The admin API as the CLI sees it: nothing exists yet, and any change is a failure of the test. */
const emptyApi = () =>
  ({
    baseUrl: 'http://127.0.0.1:1',
    listKeys: async () => [],
    listProviders: async () => [],
    listModels: async () => [],
    createProvider: () => Promise.reject(new Error('a dry run changed something')),
    createModel: () => Promise.reject(new Error('a dry run changed something')),
    createKey: () => Promise.reject(new Error('a dry run changed something')),
  }) as unknown as AdminClient;

describe('apply --dry-run', () => {
  let dir: string;
  const lines: string[] = [];
  const io = (): Io => ({
    out: (...l) => lines.push(...l),
    err: (...l) => lines.push(...l),
    env: {},
    cwd: dir,
    projectDir: dir,
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-apply-dry-'));
    lines.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('exits non-zero when applying would fail (a provider secret missing from the environment), and changes nothing', async () => {
    writeFileSync(
      join(dir, 'keys.yaml'),
      'apiVersion: sluice/v1\nproviders:\n  - {name: openai-prod, type: openai, apiKeyEnv: OPENAI_API_KEY}\nkeys:\n  - name: billing\n',
    );
    const code = await apply(emptyApi(), { file: 'keys.yaml', dryRun: true, prune: false }, io());
    expect(lines.join('\n')).toMatch(
      /Applying would fail: provider openai-prod needs the environment variable OPENAI_API_KEY/,
    );
    expect(code).toBe(1);
  });

  it('exits 0 when the plan would apply', async () => {
    writeFileSync(join(dir, 'keys.yaml'), 'apiVersion: sluice/v1\nkeys:\n  - name: billing\n');
    expect(await apply(emptyApi(), { file: 'keys.yaml', dryRun: true, prune: false }, io())).toBe(0);
    expect(lines.join('\n')).toContain('+ key billing: create');
  });
});
