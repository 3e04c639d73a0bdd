import { ManifestError, parseManifest } from './manifest';

const problemsOf = (text: string) => {
  try {
    parseManifest(text, 'keys.yaml');
  } catch (err) {
    if (err instanceof ManifestError) return err.problems;
    throw err;
  }
  return [];
};

describe('reading a keys file', () => {
  it('reads keys with every field of POST /keys, plus providers and models', () => {
    const manifest = parseManifest(
      [
        'apiVersion: sluice/v1',
        'providers:',
        '  - {name: openai-prod, type: openai, apiKeyEnv: OPENAI_API_KEY}',
        'models:',
        '  - {name: gpt-4o-mini, provider: openai-prod, upstreamModel: gpt-4o-mini, inputUsdPerMTok: 0.15, outputUsdPerMTok: 0.6}',
        'keys:',
        '  - name: billing',
        '    description: Billing backend',
        '    models: ["gpt-4o*"]',
        '    operations: [chat]',
        '    ipAllowlist: [10.0.0.0/8, "2001:db8::/32"]',
        '    providerIds: [openai-prod]',
        '    expiresAt: 2027-01-01T00:00:00Z',
        '    metadata: {team: billing}',
      ].join('\n'),
      'keys.yaml',
    );
    expect(manifest.keys[0]).toEqual({
      name: 'billing',
      description: 'Billing backend',
      models: ['gpt-4o*'],
      operations: ['chat'],
      ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'],
      providerIds: ['openai-prod'],
      expiresAt: '2027-01-01T00:00:00Z',
      metadata: { team: 'billing' },
    });
    expect(manifest.models[0]).toMatchObject({ provider: 'openai-prod' });
  });

  it('names the path and the line of each invalid field', () => {
    const problems = problemsOf(
      [
        'keys:',
        '  - name: ok',
        '  - name: bad',
        '    operations: [chat, fly]',
        '    ipAllowlist: [300.1.1.1/8]',
        '    budget: 5',
      ].join('\n'),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^keys\.yaml:4:\d+: keys\[1\]\.operations\[1\]: /),
      expect.stringMatching(
        /^keys\.yaml:5:\d+: keys\[1\]\.ipAllowlist\[0\]: must be an IPv4 or IPv6 address or CIDR range/,
      ),
      expect.stringMatching(/keys\[1\]\.budget: Invalid input: expected object/),
    ]);
  });

  it('refuses a YAML syntax error with its line, and duplicate names', () => {
    expect(problemsOf('keys:\n  - name: [unclosed\n')[0]).toMatch(/^keys\.yaml:\d+:\d+: /);
    expect(problemsOf('keys:\n  - name: a\n  - name: a\n')).toEqual(['keys: the name "a" appears more than once']);
  });

  it('requires a secret source for a real provider', () => {
    expect(problemsOf('providers:\n  - {name: p, type: openai}\n')).toEqual([
      expect.stringContaining('providers[0].apiKeyEnv: apiKey or apiKeyEnv is required'),
    ]);
    expect(problemsOf('providers:\n  - {name: p, type: openai-compatible, apiKeyEnv: K}\n')).toEqual([
      expect.stringContaining('providers[0].baseUrl'),
    ]);
  });
});
