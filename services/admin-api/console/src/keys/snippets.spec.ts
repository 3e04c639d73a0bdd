import { execFileSync } from 'node:child_process';
import { curlSnippet, snippets } from './snippets';

describe('ready-made snippets for a new secret', () => {
  const secret = 'sk-sluice-AbC123';
  const base = 'http://localhost:8080/v1';

  it('gives curl, the openai SDKs, the environment variables, Claude Code and Codex, each with the secret, the URL and the model', () => {
    const all = snippets(base, secret, 'gpt-4o-mini');
    expect(all.map((s) => s.id)).toEqual(['curl', 'openai-node', 'openai-python', 'env', 'claude-code', 'codex']);
    for (const s of all)
      expect([s.id, s.code.includes(secret) && s.code.includes(base.replace('/v1', ''))]).toEqual([s.id, true]);
    for (const s of all.filter((s) => s.id !== 'env')) expect(s.code).toContain('gpt-4o-mini');
  });

  it('points Claude Code at the gateway without /v1 (it adds /v1/messages) and Codex at /v1 with the Responses wire API', () => {
    const [claude, codex] = snippets(base, secret, 'claude-haiku-4-5').slice(4);
    expect(claude.code).toContain("export ANTHROPIC_BASE_URL='http://localhost:8080'\n");
    expect(claude.code).toContain(`export ANTHROPIC_API_KEY='${secret}'`);
    expect(codex.code).toContain('base_url = "http://localhost:8080/v1"');
    expect(codex.code).toContain('wire_api = "responses"');
  });

  it('writes a curl command a shell runs as written, whatever the model name holds', () => {
    const command = curlSnippet(base, secret, 'it\'s "quoted" $HOME');
    const argv = execFileSync('bash', [
      '-c',
      `set -- ${command.replace(/^curl /, '').replace(/\\\n/g, ' ')}; printf '%s\\n' "$@"`,
    ])
      .toString()
      .trim()
      .split('\n');
    expect(argv).toEqual([
      `${base}/chat/completions`,
      '-H',
      `Authorization: Bearer ${secret}`,
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify({ model: 'it\'s "quoted" $HOME', messages: [{ role: 'user', content: 'Hello, Sluice!' }] }),
    ]);
  });
});
