/**
 * Ready-to-paste ways to call the gateway with a new secret. Claude Code and Codex settings are
 * added here once the gateway serves the Anthropic Messages and OpenAI Responses dialects.
 */
export interface Snippet {
  id: string;
  title: string;
  code: string;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function curlSnippet(baseUrl: string, secret: string, model: string): string {
  const auth = secret.startsWith('$') ? `"Authorization: Bearer ${secret}"` : shellQuote(`Authorization: Bearer ${secret}`);
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
    { id: 'env', title: 'Environment (OpenAI SDKs and tools)', code: `export OPENAI_API_KEY=${shellQuote(secret)}\nexport OPENAI_BASE_URL=${shellQuote(baseUrl)}` },
  ];
}
