/**
 * Ready-to-paste ways to call the gateway with a new secret: curl, the openai SDKs, the OpenAI
 * environment variables, Claude Code (Anthropic's Messages API; docs/claude-code.md) and the Codex
 * CLI (the Responses API; docs/codex-and-agents.md).
 */
export interface Snippet {
  id: string;
  title: string;
  code: string;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function curlSnippet(baseUrl: string, secret: string, model: string): string {
  const auth = secret.startsWith('$')
    ? `"Authorization: Bearer ${secret}"`
    : shellQuote(`Authorization: Bearer ${secret}`);
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello, Sluice!' }] });
  return `curl ${baseUrl}/chat/completions \\\n  -H ${auth} \\\n  -H 'Content-Type: application/json' \\\n  -d ${shellQuote(body)}`;
}

export function snippets(baseUrl: string, secret: string, model: string): Snippet[] {
  const js = JSON.stringify;
  return [
    { id: 'curl', title: 'curl', code: curlSnippet(baseUrl, secret, model) },
    {
      id: 'openai-node',
      title: 'openai (Node.js)',
      code: [
        `import OpenAI from 'openai';`,
        ``,
        `const client = new OpenAI({ apiKey: ${js(secret)}, baseURL: ${js(baseUrl)} });`,
        `const reply = await client.chat.completions.create({`,
        `  model: ${js(model)},`,
        `  messages: [{ role: 'user', content: 'Hello, Sluice!' }],`,
        `});`,
        `console.log(reply.choices[0].message.content);`,
      ].join('\n'),
    },
    {
      id: 'openai-python',
      title: 'openai (Python)',
      code: [
        `from openai import OpenAI`,
        ``,
        `client = OpenAI(api_key=${js(secret)}, base_url=${js(baseUrl)})`,
        `reply = client.chat.completions.create(`,
        `    model=${js(model)},`,
        `    messages=[{"role": "user", "content": "Hello, Sluice!"}],`,
        `)`,
        `print(reply.choices[0].message.content)`,
      ].join('\n'),
    },
    {
      id: 'env',
      title: 'Environment (OpenAI SDKs and tools)',
      code: `export OPENAI_API_KEY=${shellQuote(secret)}\nexport OPENAI_BASE_URL=${shellQuote(baseUrl)}`,
    },
    {
      id: 'claude-code',
      title: 'Claude Code',
      code: [
        `# The gateway without /v1; the model must be one this key may use (a catalog name or family entry).`,
        `export ANTHROPIC_BASE_URL=${shellQuote(baseUrl.replace(/\/v1\/?$/, ''))}`,
        `export ANTHROPIC_API_KEY=${shellQuote(secret)}`,
        `export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`,
        `claude --model ${shellQuote(model)}`,
      ].join('\n'),
    },
    {
      id: 'codex',
      title: 'Codex CLI',
      code: [
        `# ~/.codex/config.toml (the model: one this key may use); then: export SLUICE_API_KEY=${shellQuote(secret)}`,
        `model = ${js(model)}`,
        `model_provider = "sluice"`,
        `web_search = "disabled"`,
        ``,
        `[model_providers.sluice]`,
        `name = "Sluice"`,
        `base_url = ${js(baseUrl)}`,
        `env_key = "SLUICE_API_KEY"`,
        `wire_api = "responses"`,
      ].join('\n'),
    },
  ];
}
