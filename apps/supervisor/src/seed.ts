import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const MOCK_PROVIDER = 'mock';
export const DEMO_MODEL = 'mock-gpt';

/**
 * Seeds the embedded default so a first call works with no real provider key: the built-in mock
 * provider, a demo model priced like a small GPT model, and a demo virtual key (kept in the data
 * folder, mode 0600, so it can be printed again on the next start).
 */
export async function seedDemo(adminUrl: string, adminToken: string, demoKeyFile: string): Promise<string> {
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${adminUrl}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = res.status === 204 ? null : await res.json();
    if (!res.ok) throw new Error(`seeding: ${method} ${path} answered ${res.status} ${JSON.stringify(json)}`);
    return json as any;
  };

  const providers = await api('GET', '/providers');
  let provider = providers.data.find((p: { name: string }) => p.name === MOCK_PROVIDER);
  if (!provider) provider = await api('POST', '/providers', { name: MOCK_PROVIDER, type: 'mock' });

  const models = await api('GET', '/models');
  if (!models.data.some((m: { name: string }) => m.name === DEMO_MODEL)) {
    await api('POST', '/models', {
      name: DEMO_MODEL,
      providerId: provider.id,
      upstreamModel: 'mock-gpt-1',
      inputUsdPerMTok: 0.15,
      outputUsdPerMTok: 0.6,
      maxOutputTokens: 4096,
    });
  }

  if (existsSync(demoKeyFile)) {
    const saved = JSON.parse(readFileSync(demoKeyFile, 'utf8')) as { id: string; key: string };
    const existing = await fetch(`${adminUrl}/admin/v1/keys/${saved.id}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    if (existing.ok && ((await existing.json()) as { status: string }).status === 'active') return saved.key;
  }
  const created = await api('POST', '/keys', {
    name: `demo-${Date.now()}`,
    description: 'created by npm start',
    metadata: { demo: true },
  });
  writeFileSync(demoKeyFile, JSON.stringify({ id: created.id, key: created.key }), { mode: 0o600 });
  return created.key;
}
